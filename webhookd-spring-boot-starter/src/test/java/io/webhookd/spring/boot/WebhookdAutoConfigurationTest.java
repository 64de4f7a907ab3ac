package io.webhookd.spring.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.alert.smtp.SmtpAlertChannel;
import io.webhookd.http.JdkHttpDestination;
import io.webhookd.http.apache.ApacheHttpDestination;
import io.webhookd.spi.Alert;
import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.spi.WebhookDestination;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import io.webhookd.testkit.InMemoryDestination;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.KafkaExtension;
import io.webhookd.testkit.WebhookReceiver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * What the auto-configuration makes of properties and of the application's beans, one context a
 * test, against the test kit's in-process broker.
 */
class WebhookdAutoConfigurationTest {
  static final String KEY = "q2bW1nY0nB1mCkz8m6mYV3kNlq4m0dKX0cJ4q2bW1nY=";

  @RegisterExtension
  final GreenMailExtension greenMail = new GreenMailExtension(patient(ServerSetupTest.SMTP.dynamicPort()));

  private static ServerSetup patient(ServerSetup setup) {
    setup.setServerStartupTimeout(30_000);
    return setup;
  }

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(WebhookdAutoConfiguration.class))
          .withPropertyValues("spring.kafka.bootstrap-servers=" + TestKafka.bootstrapServers());

  @Test
  @DisplayName("with spring.kafka.bootstrap-servers alone: an engine on the JDK transport (without webhookd-http-apache), the SSRF guard on, no store or alert bean of its own")
  void defaults() {
    runner
        .withClassLoader(new FilteredClassLoader(ApacheHttpDestination.class, JdbcSubscriptionStore.class, SmtpAlertChannel.class))
        .run(
            context -> {
              assertThat(context).hasSingleBean(Webhookd.class);
              assertThat(context).getBean(WebhookDestination.class).isInstanceOf(JdkHttpDestination.class);
              assertThat(((JdkHttpDestination) context.getBean(WebhookDestination.class)).allowsPrivateDestinations()).isFalse();
              assertThat(context).doesNotHaveBean(SubscriptionStore.class).doesNotHaveBean(AlertChannel.class);
            });
  }

  @Test
  @DisplayName("webhookd-http-apache on the class path gives the Apache transport, with the webhookd.http.* settings")
  void apacheTransportWhenPresent() {
    runner
        .withPropertyValues(
            "webhookd.http.allow-private-destinations=true",
            "webhookd.http.connect-timeout=2s",
            "webhookd.http.max-response-body-bytes=1024")
        .run(
            context -> {
              ApacheHttpDestination d = (ApacheHttpDestination) context.getBean(WebhookDestination.class);
              assertThat(d.allowsPrivateDestinations()).isTrue();
              assertThat(d.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
              assertThat(d.maxResponseBodyBytes()).isEqualTo(1024);
            });
  }

  @Test
  @DisplayName("Kafka: webhookd.bootstrap-servers wins over spring.kafka.bootstrap-servers; spring.kafka.properties.* then webhookd.kafka.* are passed through")
  void kafkaProperties() {
    StandardEnvironment env = new StandardEnvironment();
    env.getPropertySources()
        .addFirst(
            new MapPropertySource(
                "test",
                Map.of(
                    "spring.kafka.bootstrap-servers", "a:9092,b:9092",
                    "spring.kafka.properties.security.protocol", "SSL",
                    "spring.kafka.properties.client.rack", "eu-1")));
    WebhookdProperties properties = new WebhookdProperties();
    properties.getKafka().put("client.rack", "eu-2");
    assertThat(WebhookdAutoConfiguration.kafkaProperties(properties, env))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("bootstrap.servers", "a:9092,b:9092", "security.protocol", "SSL", "client.rack", "eu-2"));

    properties.setBootstrapServers(List.of("c:9092"));
    assertThat(WebhookdAutoConfiguration.kafkaProperties(properties, env)).containsEntry("bootstrap.servers", "c:9092");
  }

  @Test
  @DisplayName("without bootstrap servers anywhere the application fails to start, naming both properties")
  void noBootstrapServers() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(WebhookdAutoConfiguration.class))
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("set webhookd.bootstrap-servers or spring.kafka.bootstrap-servers"));
  }

  @Test
  @DisplayName("webhookd.enabled=false leaves webhookd out")
  void disabled() {
    runner.withPropertyValues("webhookd.enabled=false").run(context -> assertThat(context).doesNotHaveBean(Webhookd.class));
  }

  @Test
  @DisplayName("the application's own destination, store, alert channel and health indicator replace the starter's, and the engine uses them")
  void applicationBeansWin() {
    runner
        .withUserConfiguration(OwnBeans.class)
        .withPropertyValues("spring.mail.host=127.0.0.1", "webhookd.alerts.smtp.from=webhookd@example.com")
        .run(
            context -> {
              assertThat(context).getBean(WebhookDestination.class).isSameAs(OwnBeans.DESTINATION);
              assertThat(context).getBean(SubscriptionStore.class).isSameAs(OwnBeans.STORE);
              assertThat(context).getBean(AlertChannel.class).isSameAs(OwnBeans.ALERTS);
              assertThat(context).getBean("webhookdHealthIndicator").isSameAs(OwnBeans.HEALTH);
              Subscription s = context.getBean(Webhookd.class).subscribe(spec("https://hooks.example.com/x"));
              assertThat(OwnBeans.STORE.get(s.id())).isPresent();
            });
  }

  @Test
  @DisplayName("the application's own Webhookd replaces the starter's engine")
  void applicationEngineWins() {
    runner
        .withBean("myEngine", Webhookd.class, () -> Webhookd.builder().bootstrapServers(TestKafka.bootstrapServers()).destination(InMemoryDestination.create()).build())
        .run(context -> assertThat(context).getBeanNames(Webhookd.class).containsExactly("myEngine"));
  }

  @Test
  @DisplayName("with a DataSource and webhookd-store-jdbc: the JDBC store on that DataSource, which stays the application's")
  void jdbcStoreOnTheApplicationsDataSource() {
    runner
        .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .withPropertyValues("webhookd.store.encryption-key=" + KEY)
        .run(
            context -> {
              JdbcSubscriptionStore store = (JdbcSubscriptionStore) context.getBean(SubscriptionStore.class);
              assertThat(store.dataSource()).isSameAs(context.getBean(DataSource.class));
              Subscription s = context.getBean(Webhookd.class).subscribe(spec("https://hooks.example.com/x"));
              assertThat(store.get(s.id())).contains(s);
            });
  }

  @Test
  @DisplayName("a JDBC store without a key fails at start naming the properties; webhookd.store.jdbc=false keeps subscriptions in memory")
  void jdbcStoreNeedsAKey() {
    ApplicationContextRunner withDataSource = runner.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class));
    withDataSource.run(
        context ->
            assertThat(context)
                .hasFailed()
                .getFailure()
                .hasStackTraceContaining("an encryption key is required for jdbc:h2:mem:")
                .hasStackTraceContaining("(the properties: webhookd.store.encryption-key")
                .hasStackTraceContaining("or webhookd.store.key-file"));
    withDataSource
        .withPropertyValues("webhookd.store.jdbc=false")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(SubscriptionStore.class));
  }

  @Test
  @DisplayName("spring.mail.* gives an SMTP alert channel that mails through that server, from webhookd.alerts.smtp.from")
  void smtpAlertsFromSpringMail() {
    runner
        .withPropertyValues(
            "spring.mail.host=127.0.0.1",
            "spring.mail.port=" + greenMail.getSmtp().getPort(),
            "webhookd.alerts.smtp.from=webhookd@example.com")
        .run(
            context -> {
              AlertChannel channel = context.getBean(AlertChannel.class);
              assertThat(channel).isInstanceOf(SmtpAlertChannel.class);
              channel.send(alert()).get(30, TimeUnit.SECONDS);
              assertThat(greenMail.getReceivedMessages()).hasSize(1);
              assertThat(greenMail.getReceivedMessages()[0].getFrom()[0].toString()).isEqualTo("webhookd@example.com");
              assertThat(greenMail.getReceivedMessages()[0].getAllRecipients()[0].toString()).isEqualTo("ops@example.com");
            });
  }

  @Test
  @DisplayName("alert mail without a sender fails at start naming webhookd.alerts.smtp.from; without a host, or disabled, there is no SMTP channel")
  void smtpAlertsNeedASender() {
    runner
        .withPropertyValues("spring.mail.host=127.0.0.1")
        .run(context -> assertThat(context).hasFailed().getFailure().rootCause().hasMessageContaining("set webhookd.alerts.smtp.from"));
    runner.run(context -> assertThat(context).doesNotHaveBean(AlertChannel.class));
    runner
        .withPropertyValues("spring.mail.host=127.0.0.1", "webhookd.alerts.smtp.enabled=false")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(AlertChannel.class));
  }

  @Test
  @DisplayName("webhookd.share-idle-reading: unset by default; set, an idle subscription is read by its topic's shared reader")
  void shareIdleReading() {
    runner
        .withBean(WebhookDestination.class, InMemoryDestination::create)
        .run(context -> assertThat(context.getBean(WebhookdProperties.class).getShareIdleReading()).isNull());
    runner
        .withBean(WebhookDestination.class, InMemoryDestination::create)
        .withPropertyValues("webhookd.share-idle-reading=1s")
        .run(
            context -> {
              assertThat(context.getBean(WebhookdProperties.class).getShareIdleReading()).isEqualTo(Duration.ofSeconds(1));
              String topic = "idle-" + UUID.randomUUID();
              TestKafka.createTopic(topic);
              context.getBean(Webhookd.class).subscribe(spec("https://hooks.example.com/x", topic));
              // the engine's shared reader of a topic is a thread of that name, started for its first parked subscription
              org.awaitility.Awaitility.await()
                  .atMost(Duration.ofSeconds(60))
                  .until(() -> Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("webhookd-shared-" + topic)));
            });
  }

  @Test
  @DisplayName("the application's MeterRegistry gets webhookd's meters; without Micrometer the engine starts all the same")
  void meterRegistry() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    runner
        .withBean(MeterRegistry.class, () -> registry)
        .withBean(WebhookDestination.class, InMemoryDestination::create)
        .run(
            context -> {
              String topic = "metrics-" + UUID.randomUUID();
              TestKafka.createTopic(topic);
              Subscription s = context.getBean(Webhookd.class).subscribe(spec("https://hooks.example.com/x", topic));
              TestKafka.produce(topic, "k", "{}");
              org.awaitility.Awaitility.await()
                  .atMost(Duration.ofSeconds(60))
                  .until(() -> registry.find("webhookd.messages.delivered").tag("subscription", s.id()).counter() != null
                      && registry.find("webhookd.messages.delivered").tag("subscription", s.id()).counter().count() == 1.0);
            });
    runner
        .withClassLoader(new FilteredClassLoader(MeterRegistry.class))
        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(Webhookd.class).doesNotHaveBean("webhookdMeterRegistryCustomizer"));
  }

  @Test
  @DisplayName("the application's OpenTelemetry gets a span for each delivery attempt, the child of a traced record; without the API the engine starts all the same")
  void openTelemetryBean() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
    InMemoryDestination destination = InMemoryDestination.create();
    String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    runner
        .withBean(OpenTelemetry.class, () -> sdk)
        .withBean(WebhookDestination.class, () -> destination)
        .run(
            context -> {
              KafkaCluster kafka = KafkaExtension.shared(1);
              String topic = "traced-" + UUID.randomUUID();
              kafka.createTopic(topic, 1);
              Subscription s = context.getBean(Webhookd.class).subscribe(spec("https://hooks.example.com/x", topic));
              RecordHeaders headers = new RecordHeaders();
              headers.add("traceparent", ("00-" + trace + "-00f067aa0ba902b7-01").getBytes(UTF_8));
              kafka.produce(topic, List.of(new ProducerRecord<>(topic, null, "k", "{}".getBytes(UTF_8), headers)));
              DeliveryRequest request = destination.awaitRequests(1, Duration.ofSeconds(60)).get(0);
              org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !spans.getFinishedSpanItems().isEmpty());
              SpanData span = spans.getFinishedSpanItems().get(0);
              assertThat(span.getTraceId()).isEqualTo(trace);
              assertThat(span.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
              assertThat(span.getAttributes().get(AttributeKey.stringKey("webhookd.subscription.id"))).isEqualTo(s.id());
              assertThat(request.headers()).contains(new DeliveryRequest.Header("traceparent", "00-" + trace + "-" + span.getSpanId() + "-01"));
            });
    sdk.close();
    runner
        .withClassLoader(new FilteredClassLoader(OpenTelemetry.class))
        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(Webhookd.class).doesNotHaveBean("webhookdOpenTelemetryCustomizer"));
  }

  @Test
  @DisplayName("health: UP with the subscription counts while Kafka answers; DOWN when it does not; off with management.health.webhookd.enabled=false")
  void health() {
    runner.run(
        context -> {
          Webhookd webhookd = context.getBean(Webhookd.class);
          webhookd.subscribe(spec("https://hooks.example.com/x"));
          Health h = context.getBean(WebhookdHealthIndicator.class).health();
          assertThat(h.getStatus()).isEqualTo(Status.UP);
          assertThat(h.getDetails()).containsEntry("subscriptions", Map.of("healthy", 1, "unhealthy", 0, "inactive", 0));
        });
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(WebhookdAutoConfiguration.class))
        .withPropertyValues("webhookd.bootstrap-servers=127.0.0.1:1", "webhookd.health.kafka-timeout=500ms")
        .run(
            context -> {
              Health h = context.getBean(WebhookdHealthIndicator.class).health();
              assertThat(h.getStatus()).isEqualTo(Status.DOWN);
              assertThat(h.getDetails().get("kafka")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP).containsEntry("reachable", false);
            });
    runner
        .withPropertyValues("management.health.webhookd.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(WebhookdHealthIndicator.class));
  }

  @Test
  @DisplayName("closing the context closes the engine gracefully: a request in flight is answered, and its offset committed")
  void closesGracefullyWithTheContext() throws Exception {
    KafkaCluster kafka = KafkaExtension.shared(1);
    String topic = "close-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);
    try (WebhookReceiver hook = WebhookReceiver.start()) {
      CountDownLatch arrived = new CountDownLatch(1);
      hook.respondWith(
          (n, request) -> {
            arrived.countDown(); // called as the request arrives; the answer follows 2 s later
            return WebhookReceiver.Response.delayed(Duration.ofSeconds(2));
          });
      String[] group = new String[1];
      runner
          .withPropertyValues("webhookd.http.allow-private-destinations=true")
          .run(
              context -> {
                Subscription s = context.getBean(Webhookd.class).subscribe(spec(hook.url().toString(), topic));
                group[0] = "webhooks-" + s.id();
                kafka.produce(topic, List.of(new ProducerRecord<>(topic, "k", "{}".getBytes(UTF_8))));
                assertThat(arrived.await(60, TimeUnit.SECONDS)).isTrue();
                assertThat(hook.requests()).isEmpty(); // not answered yet
                context.close(); // while the webhook is still answering
              });
      assertThat(hook.requests()).singleElement().satisfies(r -> assertThat(r.respondedStatus()).isEqualTo(200));
      assertThat(kafka.committedOffsets(group[0])).containsEntry(new TopicPartition(topic, 0), 1L);
    }
  }

  private static SubscriptionSpec spec(String url) {
    return spec(url, "orders");
  }

  private static SubscriptionSpec spec(String url, String topic) {
    return SubscriptionSpec.builder().name("test").webhookUrl(url).source(topic).build();
  }

  private static Alert alert() {
    return new Alert(
        Alert.Kind.UNHEALTHY, "id-1", "orders", "https://hooks.example.com/x", List.of("ops@example.com"),
        Instant.now(), 500, "boom", null, 3L, "retrying every 5 minutes");
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnBeans {
    static final InMemoryDestination DESTINATION = InMemoryDestination.create();
    static final SubscriptionStore STORE = SubscriptionStore.inMemory();
    static final AlertChannel ALERTS = AlertChannel.logging();
    static final org.springframework.boot.health.contributor.HealthIndicator HEALTH = () -> Health.up().build();

    @Bean
    WebhookDestination myDestination() {
      return DESTINATION;
    }

    @Bean
    SubscriptionStore myStore() {
      return STORE;
    }

    @Bean
    AlertChannel myAlerts() {
      return ALERTS;
    }

    @Bean
    org.springframework.boot.health.contributor.HealthIndicator webhookdHealthIndicator() {
      return HEALTH;
    }
  }
}
