package io.webhookd.spring.boot;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.webhookd.Webhookd;
import io.webhookd.WebhookdException;
import io.webhookd.alert.smtp.SmtpAlertChannel;
import io.webhookd.http.JdkHttpDestination;
import io.webhookd.http.apache.ApacheHttpDestination;
import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.RowFilterPolicy;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.spi.WebhookDestination;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * Auto-configures a {@link Webhookd} engine from the {@code webhookd.*} properties ({@link
 * WebhookdProperties}) and the application's beans. Every bean here backs off when the
 * application defines its own of that type (or name): a {@link WebhookDestination}, a {@link
 * SubscriptionStore}, an {@link AlertChannel}, the {@link Webhookd} itself, the health indicator.
 * The application's {@link SubscriptionListener} beans (in order), its {@link RowFilterPolicy} and
 * its {@link WebhookdBuilderCustomizer} beans are applied to the engine.
 *
 * <ul>
 *   <li>Kafka: {@code webhookd.bootstrap-servers}, else {@code spring.kafka.bootstrap-servers};
 *       consumer properties from {@code spring.kafka.properties.*}, then {@code webhookd.kafka.*}.
 *   <li>Transport: Apache HttpClient when {@code webhookd-http-apache} is on the class path, else
 *       the JDK's HTTP client ({@code webhookd.http.*}).
 *   <li>Store: with {@code webhookd-store-jdbc} on the class path and one {@link DataSource}, the
 *       JDBC store on that DataSource, migrated after the application's own database
 *       initialization (Flyway, Liquibase, SQL scripts), in a history table of its own ({@code
 *       webhookd.store.*}); else in memory.
 *   <li>Alerts: with {@code webhookd-alert-smtp} on the class path and {@code
 *       webhookd.alerts.smtp.host} or {@code spring.mail.host} set, mail ({@code
 *       webhookd.alerts.smtp.*}, falling back to {@code spring.mail.*}); else logged.
 *   <li>Metrics: the application's Micrometer {@code MeterRegistry}, when there is one.
 *   <li>Tracing: the application's {@code OpenTelemetry}, when there is one (exactly one), for
 *       the spans of delivery attempts; else the engine's default ({@code GlobalOpenTelemetry}
 *       once set, and {@code traceparent} propagation without spans).
 *   <li>Health: {@link WebhookdHealthIndicator} (the actuator's {@code webhookd} component).
 * </ul>
 *
 * <p>The engine starts delivering when its bean is created and is closed with the application
 * context: in-flight batches get {@code webhookd.shutdown-timeout} to finish and what was delivered
 * is committed.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
      "org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration"
    })
@ConditionalOnClass(Webhookd.class)
@ConditionalOnProperty(prefix = "webhookd", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(WebhookdProperties.class)
public final class WebhookdAutoConfiguration {

  /** Called by Spring. */
  public WebhookdAutoConfiguration() {}

  /**
   * The engine, built from the properties, the application's beans and the customizers, and
   * closed with the context.
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public Webhookd webhookd(
      WebhookdProperties properties,
      Environment environment,
      ObjectProvider<WebhookDestination> destination,
      ObjectProvider<SubscriptionStore> store,
      ObjectProvider<AlertChannel> alertChannel,
      ObjectProvider<SubscriptionListener> listeners,
      ObjectProvider<RowFilterPolicy> rowFilterPolicy,
      ObjectProvider<WebhookdBuilderCustomizer> customizers) {
    Webhookd.Builder builder = Webhookd.builder().kafkaProperties(kafkaProperties(properties, environment));
    destination.ifAvailable(builder::destination);
    store.ifAvailable(builder::store);
    alertChannel.ifAvailable(builder::alertChannel);
    listeners.orderedStream().forEach(builder::listener);
    rowFilterPolicy.ifAvailable(builder::rowFilterPolicy);
    if (properties.getRequestTimeout() != null) {
      builder.requestTimeout(properties.getRequestTimeout());
    }
    if (properties.getShutdownTimeout() != null) {
      builder.shutdownTimeout(properties.getShutdownTimeout());
    }
    if (properties.getStorePollInterval() != null) {
      builder.storePollInterval(properties.getStorePollInterval());
    }
    if (properties.getAlertMinInterval() != null) {
      builder.alertMinInterval(properties.getAlertMinInterval());
    }
    if (properties.getAlertReminderInterval() != null) {
      builder.alertReminderInterval(properties.getAlertReminderInterval());
    }
    if (properties.getActivityLimit() != null) {
      builder.activityLimit(properties.getActivityLimit());
    }
    if (properties.getShareIdleReading() != null) {
      builder.shareIdleReading(properties.getShareIdleReading());
    }
    customizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.build();
  }

  /**
   * The webhook transport: Apache HttpClient when {@code webhookd-http-apache} is on the class
   * path (the server's default: a lower latency tail), else the JDK's HTTP client.
   */
  @Bean
  @ConditionalOnMissingBean
  public WebhookDestination webhookdDestination(WebhookdProperties properties, ResourceLoader resourceLoader) {
    WebhookdProperties.Http http = properties.getHttp();
    if (ClassUtils.isPresent("io.webhookd.http.apache.ApacheHttpDestination", resourceLoader.getClassLoader())) {
      return Apache.destination(http);
    }
    JdkHttpDestination.Builder b = JdkHttpDestination.builder().allowPrivateDestinations(http.isAllowPrivateDestinations());
    if (http.getConnectTimeout() != null) {
      b.connectTimeout(http.getConnectTimeout());
    }
    if (http.getMaxResponseBodyBytes() != null) {
      b.maxResponseBodyBytes(http.getMaxResponseBodyBytes());
    }
    return b.build();
  }

  /**
   * The Kafka client properties of the engine: {@code spring.kafka.properties.*}, then {@code
   * webhookd.kafka.*}, and the bootstrap servers of {@code webhookd.bootstrap-servers} or else
   * {@code spring.kafka.bootstrap-servers}.
   *
   * @throws IllegalStateException when no bootstrap servers are configured anywhere
   */
  static Map<String, Object> kafkaProperties(WebhookdProperties properties, Environment environment) {
    Binder binder = Binder.get(environment);
    Map<String, Object> kafka = new LinkedHashMap<>();
    binder.bind("spring.kafka.properties", Bindable.mapOf(String.class, String.class)).ifBound(kafka::putAll);
    kafka.putAll(properties.getKafka());
    List<String> servers = properties.getBootstrapServers();
    if (servers == null || servers.isEmpty()) {
      servers = binder.bind("spring.kafka.bootstrap-servers", Bindable.listOf(String.class)).orElse(List.of());
    }
    if (!servers.isEmpty()) {
      kafka.put("bootstrap.servers", String.join(",", servers));
    } else if (!kafka.containsKey("bootstrap.servers")) {
      throw new IllegalStateException(
          "webhookd needs Kafka's bootstrap servers: set webhookd.bootstrap-servers or spring.kafka.bootstrap-servers"
              + " (host:port,...), or webhookd.enabled=false to leave webhookd out");
    }
    return kafka;
  }

  /** Keeps ApacheHttpDestination out of the outer class, which must load without it. */
  private static final class Apache {
    static WebhookDestination destination(WebhookdProperties.Http http) {
      ApacheHttpDestination.Builder b = ApacheHttpDestination.builder().allowPrivateDestinations(http.isAllowPrivateDestinations());
      if (http.getConnectTimeout() != null) {
        b.connectTimeout(http.getConnectTimeout());
      }
      if (http.getMaxResponseBodyBytes() != null) {
        b.maxResponseBodyBytes(http.getMaxResponseBodyBytes());
      }
      return b.build();
    }
  }

  /** The JDBC store on the application's DataSource. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.webhookd.store.jdbc.JdbcSubscriptionStore")
  @ConditionalOnSingleCandidate(DataSource.class)
  @ConditionalOnProperty(prefix = "webhookd.store", name = "jdbc", havingValue = "true", matchIfMissing = true)
  static class JdbcStoreConfiguration {
    /**
     * Migrated after the application's own database initialization, so that its Flyway meets an
     * empty schema on a first start, as it expects.
     */
    @Bean
    @ConditionalOnMissingBean(SubscriptionStore.class)
    @DependsOnDatabaseInitialization
    JdbcSubscriptionStore webhookdStore(DataSource dataSource, WebhookdProperties properties) {
      WebhookdProperties.Store p = properties.getStore();
      JdbcSubscriptionStore.Builder b =
          JdbcSubscriptionStore.builder()
              .dataSource(dataSource)
              .schemaHistoryTable(p.getSchemaHistoryTable())
              .encryptionKey(p.getEncryptionKey())
              .keyFile(p.getKeyFile())
              .decryptionKeys(p.getDecryptionKeys());
      if (p.getAttemptRetention() != null) {
        b.attemptRetention(p.getAttemptRetention());
      }
      if (p.getMaxAttemptsPerSubscription() != null) {
        b.maxAttemptsPerSubscription(p.getMaxAttemptsPerSubscription());
      }
      try {
        return b.build();
      } catch (WebhookdException e) {
        if (p.getEncryptionKey() == null && p.getKeyFile() == null && String.valueOf(e.getMessage()).contains("encryption key is required")) {
          throw new IllegalStateException(
              e.getMessage()
                  + " (the properties: webhookd.store.encryption-key, base64 of 32 bytes from openssl rand -base64 32,"
                  + " or webhookd.store.key-file; or webhookd.store.jdbc=false to keep subscriptions in memory)",
              e);
        }
        throw e;
      }
    }
  }

  /** Alert mail, when an SMTP host is configured. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.webhookd.alert.smtp.SmtpAlertChannel")
  @Conditional(SmtpConfigured.class)
  static class SmtpConfiguration {
    @Bean
    @ConditionalOnMissingBean(AlertChannel.class)
    SmtpAlertChannel webhookdAlertChannel(WebhookdProperties properties, Environment environment) {
      WebhookdProperties.Smtp p = properties.getAlerts().getSmtp();
      String host = first(p.getHost(), environment.getProperty("spring.mail.host"));
      SmtpAlertChannel.Builder b = SmtpAlertChannel.builder().host(host == null ? "" : host);
      Integer port = p.getPort() != null ? p.getPort() : environment.getProperty("spring.mail.port", Integer.class);
      if (port != null) {
        b.port(port);
      }
      b.username(first(p.getUsername(), environment.getProperty("spring.mail.username")));
      b.password(first(p.getPassword(), environment.getProperty("spring.mail.password")));
      String from =
          first(
              p.getFrom(),
              first(
                  environment.getProperty("spring.mail.properties.mail.from"),
                  environment.getProperty("spring.mail.properties.mail.smtp.from")));
      if (from == null) {
        throw new IllegalStateException(
            "webhookd mails alerts through " + host + " but has no sender address: set webhookd.alerts.smtp.from"
                + " (or webhookd.alerts.smtp.enabled=false to log alerts instead)");
      }
      b.from(from);
      Boolean startTls =
          p.getStartTls() != null
              ? p.getStartTls()
              : environment.getProperty("spring.mail.properties.mail.smtp.starttls.enable", Boolean.class);
      if (startTls != null) {
        b.startTls(startTls);
      }
      boolean implicitTls =
          p.getImplicitTls() != null
              ? p.getImplicitTls()
              : "smtps".equals(environment.getProperty("spring.mail.protocol", "smtp").toLowerCase(Locale.ROOT));
      b.implicitTls(implicitTls);
      if (p.getConnectTimeout() != null) {
        b.connectTimeout(p.getConnectTimeout());
      }
      if (p.getTimeout() != null) {
        b.timeout(p.getTimeout());
      }
      return b.build();
    }

    private static @Nullable String first(@Nullable String a, @Nullable String b) {
      return StringUtils.hasText(a) ? a : StringUtils.hasText(b) ? b : null;
    }
  }

  /** {@code webhookd.alerts.smtp.enabled} is not false and an SMTP host is set. */
  static final class SmtpConfigured extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      Environment env = context.getEnvironment();
      if (!env.getProperty("webhookd.alerts.smtp.enabled", Boolean.class, true)) {
        return ConditionOutcome.noMatch("webhookd.alerts.smtp.enabled is false");
      }
      for (String p : List.of("webhookd.alerts.smtp.host", "spring.mail.host")) {
        if (StringUtils.hasText(env.getProperty(p))) {
          return ConditionOutcome.match(p + " is set");
        }
      }
      return ConditionOutcome.noMatch("neither webhookd.alerts.smtp.host nor spring.mail.host is set");
    }
  }

  /** The application's Micrometer registry for webhookd's meters. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
  static class MetricsConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "webhookdMeterRegistryCustomizer")
    WebhookdBuilderCustomizer webhookdMeterRegistryCustomizer(ObjectProvider<MeterRegistry> registry) {
      return builder -> registry.ifAvailable(builder::meterRegistry);
    }
  }

  /** The application's OpenTelemetry for the spans of delivery attempts. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.opentelemetry.api.OpenTelemetry")
  static class TracingConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "webhookdOpenTelemetryCustomizer")
    WebhookdBuilderCustomizer webhookdOpenTelemetryCustomizer(ObjectProvider<OpenTelemetry> openTelemetry) {
      return builder -> openTelemetry.ifUnique(builder::openTelemetry);
    }
  }

  /** The actuator's {@code webhookd} health component. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  @ConditionalOnEnabledHealthIndicator("webhookd")
  static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "webhookdHealthIndicator")
    WebhookdHealthIndicator webhookdHealthIndicator(Webhookd webhookd, WebhookdProperties properties, Environment environment) {
      return new WebhookdHealthIndicator(webhookd, kafkaProperties(properties, environment), properties.getHealth().getKafkaTimeout());
    }
  }

}
