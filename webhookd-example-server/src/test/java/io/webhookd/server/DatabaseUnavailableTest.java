package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.WithKafka;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.h2.tools.Server;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The database goes away under a running server: the API answers 503, not 500, and recovers. */
@WithKafka
class DatabaseUnavailableTest {

  @Test
  @DisplayName("database unreachable: 503 with Retry-After and no details; back again: 200")
  void answers503WhileTheDatabaseIsDown(KafkaCluster kafka, @TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String[] args = {"-tcp", "-tcpPort", String.valueOf(port), "-baseDir", dir.resolve("db").toString(), "-ifNotExists"};
    Server db = Server.createTcpServer(args).start();
    Map<String, String> env = Map.of(
        "WEBHOOKD_JDBC_URL", "jdbc:h2:tcp://127.0.0.1:" + port + "/webhookd",
        "WEBHOOKD_JDBC_PASSWORD", "pw-not-to-be-shown");
    try (TestServer server = TestServer.start(kafka.bootstrapServers(), dir.resolve("data"), null, env)) {
      assertThat(server.get("/1/Subscription", TestServer.ADMIN_KEY).status()).isEqualTo(200);
      db.stop();
      TestServer.Answer a = server.get("/1/Subscription", TestServer.ADMIN_KEY);
      assertThat(a.status()).isEqualTo(503);
      assertThat(a.header("Retry-After")).isEqualTo("5");
      assertThat(a.json().get("error").asText()).contains("unavailable");
      assertThat(a.body()).doesNotContain("pw-not-to-be-shown").doesNotContain("jdbc:");
      db = Server.createTcpServer(args).start();
      // back within the Retry-After the 503 gave: the first request may still meet a pooled
      // connection of the stopped database, which the pool then drops
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
          .untilAsserted(() -> assertThat(server.get("/1/Subscription", TestServer.ADMIN_KEY).status()).isEqualTo(200));
    } finally {
      db.stop();
    }
  }
}
