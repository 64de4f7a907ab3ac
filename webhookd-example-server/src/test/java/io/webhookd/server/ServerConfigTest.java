package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
  @TempDir Path dir;

  @Test
  @DisplayName("defaults: port 8080, ./data, embedded Kafka on 9092, H2, generated admin key, SSRF guard on")
  void defaults() {
    ServerConfig c = ServerConfig.from(Map.of(), List.of());
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.dataDir()).isEqualTo(Path.of("./data"));
    assertThat(c.embeddedKafka()).isTrue();
    assertThat(c.embeddedKafkaPort()).isEqualTo(9092);
    assertThat(c.jdbcUrl()).isNull();
    assertThat(c.adminApiKey()).isNull();
    assertThat(c.clientsFile()).isNull();
    assertThat(c.allowPrivateDestinations()).isFalse();
    assertThat(c.logFormat()).isEqualTo(ServerConfig.LogFormat.TEXT);
    assertThat(c.httpClient()).isEqualTo(ServerConfig.HttpClientKind.APACHE);
  }

  @Test
  @DisplayName("every bad variable is reported at once, and no key is echoed")
  void listsEveryProblem() {
    Map<String, String> env =
        Map.of(
            "WEBHOOKD_HTTP_PORT", "eighty",
            "WEBHOOKD_EMBEDDED_KAFKA_PORT", "70000",
            "WEBHOOKD_KAFKA_BOOTSTRAP_SERVERS", "no-port-here",
            "WEBHOOKD_JDBC_URL", "postgres://x",
            "WEBHOOKD_ADMIN_API_KEY", "short-secret",
            "WEBHOOKD_ALLOW_PRIVATE_DESTINATIONS", "perhaps",
            "WEBHOOKD_LOG_FORMAT", "xml",
            "WEBHOOKD_HTTP_CLIENT", "okhttp",
            "WEBHOOKD_MAX_BODY_BYTES", "1");
    assertThatThrownBy(() -> ServerConfig.from(env, List.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.problems()).hasSize(9);
              assertThat(e.getMessage())
                  .contains("WEBHOOKD_HTTP_PORT")
                  .contains("WEBHOOKD_EMBEDDED_KAFKA_PORT")
                  .contains("WEBHOOKD_KAFKA_BOOTSTRAP_SERVERS")
                  .contains("WEBHOOKD_JDBC_URL")
                  .contains("WEBHOOKD_ADMIN_API_KEY must be at least 16 characters, was 12")
                  .contains("WEBHOOKD_ALLOW_PRIVATE_DESTINATIONS")
                  .contains("WEBHOOKD_LOG_FORMAT")
                  .contains("WEBHOOKD_HTTP_CLIENT must be jdk or apache, was \"okhttp\"")
                  .contains("WEBHOOKD_MAX_BODY_BYTES")
                  .doesNotContain("short-secret");
            });
  }

  @Test
  @DisplayName("flags mirror the variables and win over them; unknown flags are errors")
  void flags() {
    ServerConfig c =
        ServerConfig.from(
            Map.of("WEBHOOKD_HTTP_PORT", "1111", "WEBHOOKD_DATA_DIR", "/env"),
            List.of("--http-port", "2222", "--data-dir=/flag", "--allow-private-destinations", "true", "--http-client", "jdk"));
    assertThat(c.httpPort()).isEqualTo(2222);
    assertThat(c.dataDir()).isEqualTo(Path.of("/flag"));
    assertThat(c.allowPrivateDestinations()).isTrue();
    assertThat(c.httpClient()).isEqualTo(ServerConfig.HttpClientKind.JDK);
    assertThat(c.environment()).containsEntry("WEBHOOKD_HTTP_PORT", "2222");
    assertThatThrownBy(() -> ServerConfig.from(Map.of(), List.of("--htp-port", "1", "--http-port")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> assertThat(e.problems()).anyMatch(p -> p.contains("--htp-port")).anyMatch(p -> p.contains("--http-port needs a value")));
    assertThat(ServerConfig.usage()).contains("--kafka-bootstrap-servers").contains("WEBHOOKD_CLIENTS_FILE");
  }

  @Test
  @DisplayName("WEBHOOKD_SHARE_IDLE_SECONDS: off when unset or 0; N > 0 shares idle reading after N s; negative or non-numeric values are refused naming the variable, the rule and the value")
  void shareIdleSeconds() {
    assertThat(ServerConfig.from(Map.of(), List.of()).shareIdleReading()).isNull();
    assertThat(ServerConfig.from(Map.of("WEBHOOKD_SHARE_IDLE_SECONDS", "0"), List.of()).shareIdleReading()).isNull();
    assertThat(ServerConfig.from(Map.of("WEBHOOKD_SHARE_IDLE_SECONDS", " 60 "), List.of()).shareIdleReading())
        .isEqualTo(Duration.ofSeconds(60));
    assertThat(ServerConfig.from(Map.of("WEBHOOKD_SHARE_IDLE_SECONDS", "60"), List.of("--share-idle-seconds", "5")).shareIdleReading())
        .isEqualTo(Duration.ofSeconds(5));
    assertThatThrownBy(() -> ServerConfig.from(Map.of("WEBHOOKD_SHARE_IDLE_SECONDS", "-1"), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("WEBHOOKD_SHARE_IDLE_SECONDS must be between 0 (off) and 86400 seconds, was -1");
    assertThatThrownBy(() -> ServerConfig.from(Map.of("WEBHOOKD_SHARE_IDLE_SECONDS", "5m"), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("WEBHOOKD_SHARE_IDLE_SECONDS must be a whole number of seconds (0 is off), was \"5m\"");
    assertThatThrownBy(() -> ServerConfig.from(Map.of(), List.of("--share-idle-seconds", "soon")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--share-idle-seconds must be a whole number of seconds");
    assertThat(ServerConfig.unknownVariables(Map.of("WEBHOOKD_SHARE_IDLE_SECONDS", "5"))).isEmpty();
  }

  @Test
  @DisplayName("toString masks the admin key and JDBC passwords")
  void toStringMasksSecrets() {
    ServerConfig c =
        ServerConfig.from(
            Map.of(
                "WEBHOOKD_ADMIN_API_KEY", "a-very-secret-admin-key",
                "WEBHOOKD_JDBC_URL", "jdbc:postgresql://db/x?password=hunter2",
                "WEBHOOKD_JDBC_PASSWORD", "hunter3"),
            List.of());
    assertThat(c.toString()).doesNotContain("a-very-secret-admin-key").doesNotContain("hunter2").doesNotContain("hunter3");
  }

  @Test
  @DisplayName("the admin key is generated once into the data dir with owner-only permissions, then reused")
  void generatesTheAdminKeyOnce() throws Exception {
    AdminKey.Loaded first = AdminKey.load(null, dir);
    assertThat(first.generated()).isTrue();
    assertThat(first.key()).hasSizeGreaterThanOrEqualTo(32);
    Path file = dir.resolve("admin-api-key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    AdminKey.Loaded second = AdminKey.load(null, dir);
    assertThat(second.generated()).isFalse();
    assertThat(second.key()).isEqualTo(first.key());
    assertThat(second.toString()).doesNotContain(first.key());
    assertThat(AdminKey.load("from-the-environment-123", dir).key()).isEqualTo("from-the-environment-123");
  }

  @Test
  @DisplayName("WEBHOOKD_METRICS_API_KEY: unset by default; a short or malformed one is refused without being echoed; toString masks it")
  void metricsKey() {
    assertThat(ServerConfig.from(Map.of(), List.of()).metricsApiKey()).isNull();
    assertThat(ServerConfig.from(Map.of("WEBHOOKD_METRICS_API_KEY", "prometheus-scrape-key"), List.of()).metricsApiKey())
        .isEqualTo("prometheus-scrape-key");
    assertThat(ServerConfig.from(Map.of(), List.of("--metrics-api-key", "prometheus-scrape-key")).toString())
        .doesNotContain("prometheus-scrape-key");
    assertThatThrownBy(() -> ServerConfig.from(Map.of("WEBHOOKD_METRICS_API_KEY", "scrape-me"), List.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> assertThat(e.getMessage())
                .contains("WEBHOOKD_METRICS_API_KEY must be at least 16 characters, was 9")
                .doesNotContain("scrape-me"));
    assertThatThrownBy(() -> ServerConfig.from(Map.of("WEBHOOKD_METRICS_API_KEY", "has spaces in it, 20+"), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("printable ASCII");
  }

  @Test
  @DisplayName("the data dir is created rwx------ and webhookd's files in it are made rw-------; another's files are left alone")
  void dataDirIsOwnerOnly() throws Exception {
    Path data = dir.resolve("data");
    DataDir.prepare(data);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
    // what H2 and Kafka create follows the umask: typically rw-r--r--
    Path db = Files.writeString(data.resolve("webhookd.mv.db"), "h2");
    Path segment = Files.createDirectories(data.resolve("kafka").resolve("orders-0")).resolve("00000.log");
    Files.writeString(segment, "log");
    Path notOurs = Files.writeString(data.resolve("notes.txt"), "mine");
    for (Path p : List.of(db, segment, notOurs)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    }
    Files.setPosixFilePermissions(data.resolve("kafka"), PosixFilePermissions.fromString("rwxr-xr-x"));

    DataDir.restrict(data);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(db))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(segment))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("kafka")))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(notOurs))).isEqualTo("rw-r--r--");

    // an existing data dir of an older version (rwxr-xr-x) holding only webhookd's files is tightened
    Path old = Files.createDirectories(dir.resolve("old"));
    Files.writeString(old.resolve("webhookd.key"), "k");
    Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rwxr-xr-x"));
    DataDir.prepare(old);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(old))).isEqualTo("rwx------");
    // one that holds other files is not (it is reported instead)
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
    DataDir.prepare(data);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwxr-xr-x");
  }
}
