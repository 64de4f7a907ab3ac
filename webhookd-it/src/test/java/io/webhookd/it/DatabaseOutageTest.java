package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testkit.WithKafka;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import org.h2.tools.Server;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The database goes away while the engine runs (an H2 server stopped and started again). */
@WithKafka
class DatabaseOutageTest {

  @Test
  @DisplayName("database outage while running: deliveries continue, status writes are retried and catch up")
  void deliversThroughADatabaseOutage(KafkaCluster kafka, @TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String[] serverArgs = {"-tcp", "-tcpPort", String.valueOf(port), "-baseDir", dir.toString(), "-ifNotExists"};
    Server db = Server.createTcpServer(serverArgs).start();
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    String key = Base64.getEncoder().encodeToString(k);
    String url = "jdbc:h2:tcp://127.0.0.1:" + port + "/webhookd";
    String t = topic(kafka, "db-outage", 2);
    try (WebhookReceiver receiver = WebhookReceiver.start();
        Webhookd engine = engine(kafka)
            .store(JdbcSubscriptionStore.builder().jdbcUrl(url).encryptionKey(key).connectionTimeout(Duration.ofSeconds(1)).build())
            .build()) {
      Subscription s = engine.subscribe(SubscriptionSpec.builder().name("through-outage").webhookUrl(receiver.url().toString())
          .source(t).maxBatchSize(20).maxBatchInterval(Duration.ofMillis(20)).build());
      kafka.produce(t, jsonMessages(t, 0, 100));
      receiver.awaitDeliveredCount(100, Duration.ofSeconds(30));

      db.stop();
      kafka.produce(t, jsonMessages(t, 100, 200));
      receiver.awaitDeliveredCount(300, Duration.ofSeconds(60));

      db = Server.createTcpServer(serverArgs).start();
      try (JdbcSubscriptionStore reader = JdbcSubscriptionStore.builder().jdbcUrl(url).encryptionKey(key).build()) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
            assertThat(reader.health(s.id())).hasValueSatisfying(h -> assertThat(h.delivered()).isEqualTo(300)));
        assertThat(reader.get(s.id()).orElseThrow().spec()).isEqualTo(s.spec());
      }
      assertThat(receiver.duplicateCount()).isZero();
    } finally {
      db.stop();
    }
  }
}
