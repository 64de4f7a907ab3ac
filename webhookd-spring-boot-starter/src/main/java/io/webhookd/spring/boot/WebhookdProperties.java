package io.webhookd.spring.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code webhookd.*} properties of the auto-configured engine. A setting left unset keeps the
 * default of the {@link io.webhookd.Webhookd.Builder} (or of the store, transport or alert channel
 * it belongs to), named in each property's description.
 */
@ConfigurationProperties(prefix = "webhookd")
public class WebhookdProperties {

  /** Whether to auto-configure a webhookd engine. */
  private boolean enabled = true;

  /**
   * Kafka's bootstrap servers ({@code host:port,...}). Unset: those of {@code
   * spring.kafka.bootstrap-servers}. One of the two is required.
   */
  private @Nullable List<String> bootstrapServers;

  /**
   * Kafka consumer properties passed through to every subscription's consumer (security, fetch
   * tuning), on top of {@code spring.kafka.properties.*}; for example {@code
   * webhookd.kafka.security.protocol=SSL}. The group id, deserializers and auto-commit are
   * webhookd's.
   */
  private Map<String, String> kafka = new LinkedHashMap<>();

  /** How long one webhook request may take. Default 30s. */
  private @Nullable Duration requestTimeout;

  /** How long closing the engine (on context shutdown) waits for in-flight batches. Default 30s. */
  private @Nullable Duration shutdownTimeout;

  /** How often a shared store is checked for changes made by other engines. Default 2s. */
  private @Nullable Duration storePollInterval;

  /** The least time between two alerts of the same kind for a subscription. Default 5m. */
  private @Nullable Duration alertMinInterval;

  /** How often an unhealthy subscription's alert is repeated. Default 1h. */
  private @Nullable Duration alertReminderInterval;

  /** How many recent_activity entries are kept per subscription, 1 to 10000. Default 100. */
  private @Nullable Integer activityLimit;

  /**
   * Shared reading of idle subscriptions: a subscription caught up for this long gives up its own
   * Kafka consumer and thread to its topic's one shared reader, until a record passes its filters
   * ({@code Webhookd.Builder.shareIdleReading}). Default unset: off, every subscription keeps its
   * own consumer.
   */
  private @Nullable Duration shareIdleReading;

  private final Http http = new Http();
  private final Store store = new Store();
  private final Alerts alerts = new Alerts();
  private final Health health = new Health();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public @Nullable List<String> getBootstrapServers() {
    return bootstrapServers;
  }

  public void setBootstrapServers(@Nullable List<String> bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  public Map<String, String> getKafka() {
    return kafka;
  }

  public void setKafka(Map<String, String> kafka) {
    this.kafka = kafka;
  }

  public @Nullable Duration getRequestTimeout() {
    return requestTimeout;
  }

  public void setRequestTimeout(@Nullable Duration requestTimeout) {
    this.requestTimeout = requestTimeout;
  }

  public @Nullable Duration getShutdownTimeout() {
    return shutdownTimeout;
  }

  public void setShutdownTimeout(@Nullable Duration shutdownTimeout) {
    this.shutdownTimeout = shutdownTimeout;
  }

  public @Nullable Duration getStorePollInterval() {
    return storePollInterval;
  }

  public void setStorePollInterval(@Nullable Duration storePollInterval) {
    this.storePollInterval = storePollInterval;
  }

  public @Nullable Duration getAlertMinInterval() {
    return alertMinInterval;
  }

  public void setAlertMinInterval(@Nullable Duration alertMinInterval) {
    this.alertMinInterval = alertMinInterval;
  }

  public @Nullable Duration getAlertReminderInterval() {
    return alertReminderInterval;
  }

  public void setAlertReminderInterval(@Nullable Duration alertReminderInterval) {
    this.alertReminderInterval = alertReminderInterval;
  }

  public @Nullable Integer getActivityLimit() {
    return activityLimit;
  }

  public void setActivityLimit(@Nullable Integer activityLimit) {
    this.activityLimit = activityLimit;
  }

  public @Nullable Duration getShareIdleReading() {
    return shareIdleReading;
  }

  public void setShareIdleReading(@Nullable Duration shareIdleReading) {
    this.shareIdleReading = shareIdleReading;
  }

  public Http getHttp() {
    return http;
  }

  public Store getStore() {
    return store;
  }

  public Alerts getAlerts() {
    return alerts;
  }

  public Health getHealth() {
    return health;
  }

  /** The webhook transport (JDK HTTP client, or Apache HttpClient when on the class path). */
  public static class Http {
    /**
     * Whether webhooks may target loopback, private and link-local addresses. Default false: the
     * SSRF guard refuses them. True for local development and tests only.
     */
    private boolean allowPrivateDestinations;

    /** How long to wait for a connection to a webhook. Default 5s. */
    private @Nullable Duration connectTimeout;

    /** The most bytes of a webhook's response body that are read and kept. Default 16384. */
    private @Nullable Integer maxResponseBodyBytes;

    public boolean isAllowPrivateDestinations() {
      return allowPrivateDestinations;
    }

    public void setAllowPrivateDestinations(boolean allowPrivateDestinations) {
      this.allowPrivateDestinations = allowPrivateDestinations;
    }

    public @Nullable Duration getConnectTimeout() {
      return connectTimeout;
    }

    public void setConnectTimeout(@Nullable Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    public @Nullable Integer getMaxResponseBodyBytes() {
      return maxResponseBodyBytes;
    }

    public void setMaxResponseBodyBytes(@Nullable Integer maxResponseBodyBytes) {
      this.maxResponseBodyBytes = maxResponseBodyBytes;
    }
  }

  /**
   * The JDBC store on the application's DataSource, used when webhookd-store-jdbc is on the class
   * path and the application has one DataSource. Without it subscriptions are kept in memory.
   */
  public static class Store {
    /** Whether to keep subscriptions in the application's DataSource (when there is one). */
    private boolean jdbc = true;

    /**
     * The key that encrypts secrets at rest: base64 of 32 random bytes ({@code openssl rand
     * -base64 32}). This or key-file is required, except for an H2 file database (whose key file
     * is created beside it).
     */
    private @Nullable String encryptionKey;

    /** Old keys (base64 of 32 bytes each) that still decrypt values written with them. */
    private List<String> decryptionKeys = new ArrayList<>();

    /** A key file: its first line is the encryption key, later lines old keys; created when missing. */
    private @Nullable Path keyFile;

    /**
     * The table of webhookd's schema history, apart from an application's own Flyway history
     * ({@code flyway_schema_history}). Never change it for a database webhookd already migrated.
     */
    private String schemaHistoryTable = "webhookd_schema_history";

    /** How long delivery attempts are kept, at least 1 minute. Default 7d. */
    private @Nullable Duration attemptRetention;

    /** The most delivery attempts kept per subscription. Default 10000. */
    private @Nullable Integer maxAttemptsPerSubscription;

    public boolean isJdbc() {
      return jdbc;
    }

    public void setJdbc(boolean jdbc) {
      this.jdbc = jdbc;
    }

    public @Nullable String getEncryptionKey() {
      return encryptionKey;
    }

    public void setEncryptionKey(@Nullable String encryptionKey) {
      this.encryptionKey = encryptionKey;
    }

    public List<String> getDecryptionKeys() {
      return decryptionKeys;
    }

    public void setDecryptionKeys(List<String> decryptionKeys) {
      this.decryptionKeys = decryptionKeys;
    }

    public @Nullable Path getKeyFile() {
      return keyFile;
    }

    public void setKeyFile(@Nullable Path keyFile) {
      this.keyFile = keyFile;
    }

    public String getSchemaHistoryTable() {
      return schemaHistoryTable;
    }

    public void setSchemaHistoryTable(String schemaHistoryTable) {
      this.schemaHistoryTable = schemaHistoryTable;
    }

    public @Nullable Duration getAttemptRetention() {
      return attemptRetention;
    }

    public void setAttemptRetention(@Nullable Duration attemptRetention) {
      this.attemptRetention = attemptRetention;
    }

    public @Nullable Integer getMaxAttemptsPerSubscription() {
      return maxAttemptsPerSubscription;
    }

    public void setMaxAttemptsPerSubscription(@Nullable Integer maxAttemptsPerSubscription) {
      this.maxAttemptsPerSubscription = maxAttemptsPerSubscription;
    }
  }

  /** Where alerts go. */
  public static class Alerts {
    private final Smtp smtp = new Smtp();

    public Smtp getSmtp() {
      return smtp;
    }
  }

  /**
   * Alert mail over SMTP (webhookd-alert-smtp on the class path), configured when host or
   * spring.mail.host is set. Each setting left unset falls back to Spring Boot's spring.mail.*
   * one.
   */
  public static class Smtp {
    /** Whether to mail alerts when an SMTP host is configured here or in spring.mail.host. */
    private boolean enabled = true;

    /** The SMTP server. Unset: spring.mail.host. */
    private @Nullable String host;

    /** Its port. Unset: spring.mail.port, else 465 with implicit TLS, 587 with STARTTLS, 25. */
    private @Nullable Integer port;

    /** The user name. Unset: spring.mail.username. */
    private @Nullable String username;

    /** The password. Unset: spring.mail.password. Never logged. */
    private @Nullable String password;

    /**
     * The sender address of alert mails. Unset: spring.mail.properties.mail.from or
     * spring.mail.properties.mail.smtp.from. Required when alerts are mailed.
     */
    private @Nullable String from;

    /**
     * Whether STARTTLS is required. Unset: spring.mail.properties.mail.smtp.starttls.enable.
     */
    private @Nullable Boolean startTls;

    /** Whether to speak TLS from the first byte (SMTPS). Unset: spring.mail.protocol=smtps. */
    private @Nullable Boolean implicitTls;

    /** How long to wait for the connection. Default 10s. */
    private @Nullable Duration connectTimeout;

    /** How long to wait for each read or write. Default 30s. */
    private @Nullable Duration timeout;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public @Nullable String getHost() {
      return host;
    }

    public void setHost(@Nullable String host) {
      this.host = host;
    }

    public @Nullable Integer getPort() {
      return port;
    }

    public void setPort(@Nullable Integer port) {
      this.port = port;
    }

    public @Nullable String getUsername() {
      return username;
    }

    public void setUsername(@Nullable String username) {
      this.username = username;
    }

    public @Nullable String getPassword() {
      return password;
    }

    public void setPassword(@Nullable String password) {
      this.password = password;
    }

    public @Nullable String getFrom() {
      return from;
    }

    public void setFrom(@Nullable String from) {
      this.from = from;
    }

    public @Nullable Boolean getStartTls() {
      return startTls;
    }

    public void setStartTls(@Nullable Boolean startTls) {
      this.startTls = startTls;
    }

    public @Nullable Boolean getImplicitTls() {
      return implicitTls;
    }

    public void setImplicitTls(@Nullable Boolean implicitTls) {
      this.implicitTls = implicitTls;
    }

    public @Nullable Duration getConnectTimeout() {
      return connectTimeout;
    }

    public void setConnectTimeout(@Nullable Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    public @Nullable Duration getTimeout() {
      return timeout;
    }

    public void setTimeout(@Nullable Duration timeout) {
      this.timeout = timeout;
    }
  }

  /** The actuator health indicator ({@code webhookd}). */
  public static class Health {
    /** How long the health check waits for Kafka to describe its cluster. */
    private Duration kafkaTimeout = Duration.ofSeconds(2);

    public Duration getKafkaTimeout() {
      return kafkaTimeout;
    }

    public void setKafkaTimeout(Duration kafkaTimeout) {
      this.kafkaTimeout = kafkaTimeout;
    }
  }
}
