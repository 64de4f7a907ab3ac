package io.webhookd.server;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The server's configuration, read from {@code WEBHOOKD_*} environment variables and from
 * command-line flags that mirror them ({@code --http-port 8080} or {@code --http-port=8080} for
 * {@code WEBHOOKD_HTTP_PORT}); a flag wins over its variable. Every problem is reported at once in
 * a {@link ConfigException}. Immutable.
 *
 * <p>{@link #environment()} holds the effective {@code WEBHOOKD_*} values (variables overridden by
 * flags), so adapters that read their own variables (SMTP) see the flags too. It holds secrets:
 * never log it; {@link #toString()} masks them.
 */
record ServerConfig(
    String httpHost,
    int httpPort,
    Path dataDir,
    @Nullable String kafkaBootstrapServers,
    int embeddedKafkaPort,
    @Nullable String jdbcUrl,
    @Nullable String jdbcUser,
    @Nullable String jdbcPassword,
    @Nullable String adminApiKey,
    @Nullable String metricsApiKey,
    @Nullable Path clientsFile,
    boolean allowPrivateDestinations,
    HttpClientKind httpClient,
    LogFormat logFormat,
    int maxBodyBytes,
    @Nullable Duration shareIdleReading,
    Map<String, String> environment) {

  /** Which webhook transport delivers: webhookd-http-jdk or webhookd-http-apache. */
  enum HttpClientKind {
    JDK,
    APACHE
  }

  /** How log lines are written. */
  enum LogFormat {
    TEXT,
    JSON
  }

  /** Every variable the server reads, with its default and meaning (for {@code --help}). */
  static final Map<String, String[]> VARIABLES = variables();

  static final int MIN_ADMIN_KEY_LENGTH = 16;
  private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9._\\-\\[\\]:]+:[0-9]{1,5}");

  private static Map<String, String[]> variables() {
    Map<String, String[]> v = new LinkedHashMap<>();
    v.put("WEBHOOKD_HTTP_PORT", new String[] {"8080", "port of the REST API (0 picks a free one)"});
    v.put("WEBHOOKD_HTTP_HOST", new String[] {"0.0.0.0", "address the REST API listens on"});
    v.put("WEBHOOKD_DATA_DIR", new String[] {"./data", "embedded Kafka log, H2 file, generated admin key"});
    v.put(
        "WEBHOOKD_KAFKA_BOOTSTRAP_SERVERS",
        new String[] {"unset", "Kafka to read from; unset starts an embedded single-node broker"});
    v.put("WEBHOOKD_EMBEDDED_KAFKA_PORT", new String[] {"9092", "port of the embedded broker on 127.0.0.1"});
    v.put("WEBHOOKD_JDBC_URL", new String[] {"unset", "database; unset uses an H2 file under the data dir"});
    v.put("WEBHOOKD_JDBC_USER", new String[] {"unset", "database user"});
    v.put("WEBHOOKD_JDBC_PASSWORD", new String[] {"unset", "database password"});
    v.put(
        "WEBHOOKD_ADMIN_API_KEY",
        new String[] {"unset", "admin key (16+ chars); unset generates one into <data dir>/admin-api-key"});
    v.put("WEBHOOKD_CLIENTS_FILE", new String[] {"unset", "JSON file of client keys, policies and quotas"});
    v.put(
        "WEBHOOKD_METRICS_API_KEY",
        new String[] {"unset", "when set (16+ chars), /metrics needs it as Authorization: Bearer <key>; unset: /metrics is open"});
    v.put("WEBHOOKD_SMTP_HOST", new String[] {"unset", "SMTP server for alerts; unset logs alerts"});
    v.put("WEBHOOKD_SMTP_PORT", new String[] {"587 (465 with SSL)", "SMTP port"});
    v.put("WEBHOOKD_SMTP_USERNAME", new String[] {"unset", "SMTP user"});
    v.put("WEBHOOKD_SMTP_PASSWORD", new String[] {"unset", "SMTP password"});
    v.put("WEBHOOKD_SMTP_FROM", new String[] {"unset", "sender address of alerts"});
    v.put("WEBHOOKD_SMTP_STARTTLS", new String[] {"true", "require STARTTLS"});
    v.put("WEBHOOKD_SMTP_SSL", new String[] {"false", "implicit TLS (SMTPS)"});
    v.put(
        "WEBHOOKD_ALLOW_PRIVATE_DESTINATIONS",
        new String[] {"false", "allow webhook URLs on loopback/private/link-local addresses"});
    v.put(
        "WEBHOOKD_HTTP_CLIENT",
        new String[] {"apache", "webhook transport: apache (Apache HttpClient 5, HTTP/1.1, lower latency) or jdk (java.net.http, HTTP/2 over TLS)"});
    v.put("WEBHOOKD_LOG_FORMAT", new String[] {"text", "text or json"});
    v.put("WEBHOOKD_MAX_BODY_BYTES", new String[] {"262144", "largest request body accepted (413 above)"});
    v.put(
        "WEBHOOKD_SHARE_IDLE_SECONDS",
        new String[] {"0", "N > 0: subscriptions with nothing to deliver are read by one shared reader per topic (they start there, and one caught up for N seconds goes back); 0: off"});
    return Collections.unmodifiableMap(v);
  }

  /** The flag of a variable: {@code WEBHOOKD_HTTP_PORT} is {@code --http-port}. */
  static String flagOf(String variable) {
    return "--" + variable.substring("WEBHOOKD_".length()).toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Reads the configuration.
   *
   * @param env the process environment (only {@code WEBHOOKD_*} entries are read)
   * @param args flags mirroring the variables
   * @throws ConfigException listing every bad variable or flag
   */
  static ServerConfig from(Map<String, String> env, List<String> args) {
    List<String> problems = new ArrayList<>();
    Map<String, String> values = new HashMap<>();
    Map<String, String> origin = new HashMap<>();
    env.forEach(
        (k, v) -> {
          if (k.startsWith("WEBHOOKD_")) {
            values.put(k, v);
            origin.put(k, k);
          }
        });
    Map<String, String> byFlag = new HashMap<>();
    VARIABLES.keySet().forEach(v -> byFlag.put(flagOf(v), v));
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String flag = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        flag = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      String variable = byFlag.get(flag);
      if (variable == null) {
        problems.add(
            "unknown argument " + quote(arg) + " (run with --help for the list of flags)");
        continue;
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          problems.add(flag + " needs a value");
          continue;
        }
        value = args.get(++i);
      }
      values.put(variable, value);
      origin.put(variable, flag);
    }

    String host = nonBlank(values, "WEBHOOKD_HTTP_HOST", "0.0.0.0");
    int httpPort = port(values, origin, "WEBHOOKD_HTTP_PORT", 8080, true, problems);
    int kafkaPort = port(values, origin, "WEBHOOKD_EMBEDDED_KAFKA_PORT", 9092, true, problems);
    Path dataDir = path(values, origin, "WEBHOOKD_DATA_DIR", "./data", problems);
    String bootstrap = optional(values, "WEBHOOKD_KAFKA_BOOTSTRAP_SERVERS");
    if (bootstrap != null) {
      for (String part : bootstrap.split(",", -1)) {
        if (!HOST_PORT.matcher(part.trim()).matches()) {
          problems.add(
              origin.get("WEBHOOKD_KAFKA_BOOTSTRAP_SERVERS")
                  + " must be a comma-separated list of host:port, was "
                  + quote(bootstrap));
          break;
        }
      }
    }
    String jdbcUrl = optional(values, "WEBHOOKD_JDBC_URL");
    if (jdbcUrl != null && !jdbcUrl.startsWith("jdbc:")) {
      problems.add(origin.get("WEBHOOKD_JDBC_URL") + " must start with jdbc:, was " + quote(jdbcUrl));
    }
    String jdbcUser = optional(values, "WEBHOOKD_JDBC_USER");
    String jdbcPassword = values.get("WEBHOOKD_JDBC_PASSWORD");
    if ((jdbcUser != null || jdbcPassword != null) && jdbcUrl == null) {
      problems.add(
          "WEBHOOKD_JDBC_USER/WEBHOOKD_JDBC_PASSWORD are set but WEBHOOKD_JDBC_URL is not (the embedded H2 needs neither)");
    }
    String adminKey = values.get("WEBHOOKD_ADMIN_API_KEY");
    if (adminKey != null) {
      if (adminKey.length() < MIN_ADMIN_KEY_LENGTH) {
        // never echo a key, not even a bad one
        problems.add(
            origin.get("WEBHOOKD_ADMIN_API_KEY")
                + " must be at least "
                + MIN_ADMIN_KEY_LENGTH
                + " characters, was "
                + adminKey.length());
      } else if (!ApiKeys.isWellFormed(adminKey)) {
        problems.add(
            origin.get("WEBHOOKD_ADMIN_API_KEY")
                + " must be printable ASCII without spaces (it is sent in an HTTP header)");
      }
    }
    String metricsKey = values.get("WEBHOOKD_METRICS_API_KEY");
    if (metricsKey != null && metricsKey.isBlank()) {
      metricsKey = null;
    }
    if (metricsKey != null) {
      if (metricsKey.length() < MIN_ADMIN_KEY_LENGTH) {
        problems.add(
            origin.get("WEBHOOKD_METRICS_API_KEY") + " must be at least " + MIN_ADMIN_KEY_LENGTH
                + " characters, was " + metricsKey.length());
      } else if (!ApiKeys.isWellFormed(metricsKey)) {
        problems.add(
            origin.get("WEBHOOKD_METRICS_API_KEY")
                + " must be printable ASCII without spaces (it is sent in an HTTP header)");
      }
    }
    Path clientsFile =
        values.containsKey("WEBHOOKD_CLIENTS_FILE")
            ? path(values, origin, "WEBHOOKD_CLIENTS_FILE", null, problems)
            : null;
    boolean allowPrivate = bool(values, origin, "WEBHOOKD_ALLOW_PRIVATE_DESTINATIONS", false, problems);
    bool(values, origin, "WEBHOOKD_SMTP_STARTTLS", true, problems);
    bool(values, origin, "WEBHOOKD_SMTP_SSL", false, problems);
    if (values.containsKey("WEBHOOKD_SMTP_PORT")) {
      port(values, origin, "WEBHOOKD_SMTP_PORT", 587, false, problems);
    }
    HttpClientKind httpClient = HttpClientKind.APACHE;
    String hc = optional(values, "WEBHOOKD_HTTP_CLIENT");
    if (hc != null) {
      switch (hc.trim().toLowerCase(Locale.ROOT)) {
        case "jdk" -> httpClient = HttpClientKind.JDK;
        case "apache" -> httpClient = HttpClientKind.APACHE;
        default -> problems.add(origin.get("WEBHOOKD_HTTP_CLIENT") + " must be jdk or apache, was " + quote(hc));
      }
    }
    LogFormat logFormat = LogFormat.TEXT;
    String lf = optional(values, "WEBHOOKD_LOG_FORMAT");
    if (lf != null) {
      switch (lf.toLowerCase(Locale.ROOT)) {
        case "text" -> logFormat = LogFormat.TEXT;
        case "json" -> logFormat = LogFormat.JSON;
        default ->
            problems.add(origin.get("WEBHOOKD_LOG_FORMAT") + " must be text or json, was " + quote(lf));
      }
    }
    int maxBody = 262_144;
    String mb = optional(values, "WEBHOOKD_MAX_BODY_BYTES");
    if (mb != null) {
      try {
        maxBody = Integer.parseInt(mb.trim());
        if (maxBody < 1024 || maxBody > 16 * 1024 * 1024) {
          problems.add(
              origin.get("WEBHOOKD_MAX_BODY_BYTES") + " must be between 1024 and 16777216, was " + maxBody);
        }
      } catch (NumberFormatException e) {
        problems.add(origin.get("WEBHOOKD_MAX_BODY_BYTES") + " must be an integer, was " + quote(mb));
      }
    }
    Duration shareIdle = null;
    String si = optional(values, "WEBHOOKD_SHARE_IDLE_SECONDS");
    if (si != null) {
      try {
        int seconds = Integer.parseInt(si);
        if (seconds < 0 || seconds > 86_400) {
          problems.add(
              origin.get("WEBHOOKD_SHARE_IDLE_SECONDS") + " must be between 0 (off) and 86400 seconds, was " + seconds);
        } else if (seconds > 0) {
          shareIdle = Duration.ofSeconds(seconds);
        }
      } catch (NumberFormatException e) {
        problems.add(
            origin.get("WEBHOOKD_SHARE_IDLE_SECONDS") + " must be a whole number of seconds (0 is off), was " + quote(si));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    Map<String, String> effective = new HashMap<>(values);
    return new ServerConfig(
        host,
        httpPort,
        dataDir,
        bootstrap,
        kafkaPort,
        jdbcUrl,
        jdbcUser,
        jdbcPassword,
        adminKey,
        metricsKey,
        clientsFile,
        allowPrivate,
        httpClient,
        logFormat,
        maxBody,
        shareIdle,
        Map.copyOf(effective));
  }

  /**
   * {@code WEBHOOKD_*} variables of the environment that the server does not know: most likely
   * typos, logged as warnings (not errors: adapters may read variables of their own).
   */
  static List<String> unknownVariables(Map<String, String> env) {
    return env.keySet().stream()
        .filter(k -> k.startsWith("WEBHOOKD_") && !k.startsWith("WEBHOOKD_TEST_"))
        .filter(k -> !VARIABLES.containsKey(k))
        .sorted()
        .toList();
  }

  /** Whether the embedded broker is to be started. */
  boolean embeddedKafka() {
    return kafkaBootstrapServers == null;
  }

  @Override
  public String toString() {
    return "ServerConfig[httpHost="
        + httpHost
        + ", httpPort="
        + httpPort
        + ", dataDir="
        + dataDir
        + ", kafka="
        + (kafkaBootstrapServers == null ? "embedded on 127.0.0.1:" + embeddedKafkaPort : kafkaBootstrapServers)
        + ", jdbcUrl="
        + (jdbcUrl == null ? "H2 under the data dir" : jdbcUrl.replaceAll("(?i)(password=)[^;&]*", "$1****"))
        + ", adminApiKey="
        + (adminApiKey == null ? "from the data dir" : "****")
        + ", metricsApiKey="
        + (metricsApiKey == null ? "none (/metrics is open)" : "****")
        + ", clientsFile="
        + clientsFile
        + ", allowPrivateDestinations="
        + allowPrivateDestinations
        + ", httpClient="
        + httpClient
        + ", logFormat="
        + logFormat
        + ", shareIdleReading="
        + (shareIdleReading == null ? "off" : shareIdleReading.toSeconds() + " s")
        + "]";
  }

  /** Usage text for {@code --help}. */
  static String usage() {
    StringBuilder sb = new StringBuilder();
    sb.append("usage: java -jar webhookd-server.jar [flags]\n");
    sb.append("       java -jar webhookd-server.jar produce --topic T [--key K] [--bootstrap-servers H:P] [JSON ...]\n\n");
    sb.append("Every flag mirrors an environment variable; a flag wins over its variable.\n\n");
    VARIABLES.forEach(
        (k, v) ->
            sb.append(String.format(Locale.ROOT, "  %-40s %-38s default %s: %s%n", k, flagOf(k), v[0], v[1])));
    return sb.toString();
  }

  private static @Nullable String optional(Map<String, String> values, String key) {
    String v = values.get(key);
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static String nonBlank(Map<String, String> values, String key, String dflt) {
    String v = optional(values, key);
    return v == null ? dflt : v;
  }

  private static int port(
      Map<String, String> values,
      Map<String, String> origin,
      String key,
      int dflt,
      boolean zeroAllowed,
      List<String> problems) {
    String v = optional(values, key);
    if (v == null) {
      return dflt;
    }
    try {
      int p = Integer.parseInt(v);
      if (p < (zeroAllowed ? 0 : 1) || p > 65535) {
        problems.add(
            origin.get(key) + " must be a port between " + (zeroAllowed ? 0 : 1) + " and 65535, was " + p);
      }
      return p;
    } catch (NumberFormatException e) {
      problems.add(origin.get(key) + " must be a port number, was " + quote(v));
      return dflt;
    }
  }

  private static boolean bool(
      Map<String, String> values, Map<String, String> origin, String key, boolean dflt, List<String> problems) {
    String v = optional(values, key);
    if (v == null) {
      return dflt;
    }
    switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on":
        return true;
      case "false", "no", "0", "off":
        return false;
      default:
        problems.add(origin.get(key) + " must be true or false, was " + quote(v));
        return dflt;
    }
  }

  private static Path path(
      Map<String, String> values,
      Map<String, String> origin,
      String key,
      @Nullable String dflt,
      List<String> problems) {
    String v = optional(values, key);
    if (v == null) {
      if (dflt == null) {
        problems.add(origin.get(key) + " must be a path, was empty");
        return Path.of(".");
      }
      v = dflt;
    }
    try {
      return Path.of(v);
    } catch (InvalidPathException e) {
      problems.add(origin.get(key) + " is not a valid path: " + e.getReason());
      return Path.of(".");
    }
  }

  static String quote(String s) {
    String shown = s.length() > 200 ? s.substring(0, 200) + "…" : s;
    return '"' + shown.replace("\"", "\\\"") + '"';
  }
}
