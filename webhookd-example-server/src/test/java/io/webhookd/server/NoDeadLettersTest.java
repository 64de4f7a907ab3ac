package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.ActivityEvent;
import io.webhookd.HealthDetails;
import io.webhookd.OnlineState;
import io.webhookd.Subscription;
import io.webhookd.server.TestServer.Answer;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server whose store keeps no dead letters: the operations that need them say so (501), the rest work. */
class NoDeadLettersTest {
  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(KafkaExtension.shared(1).bootstrapServers(), dir.resolve("data"), null, Map.of(), configured -> {
      configured.close();
      return new KeepsNoDeadLetters(SubscriptionStore.inMemory());
    });
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  @DisplayName("dead letters, redeliver, discard and skip are 501 naming the store's limit; on_exhausted dead_letter is a 400; a test message still works")
  void operationsThatNeedDeadLettersAre501() {
    ObjectNode doc = Docs.subscription("no dead letters", "http://127.0.0.1:9/hook", "orders-none");
    String id = server.post("/1/Subscription", ServerKeys.ADMIN, doc).json().get("id").asText();
    String path = "/1/Subscription/" + id;
    for (Answer a : List.of(
        server.get(path + "/DeadLetters", ServerKeys.ADMIN),
        server.post(path + "/DeadLetters/Redeliver", ServerKeys.ADMIN, Map.of()),
        server.call("DELETE", path + "/DeadLetters/0193", ServerKeys.ADMIN, null),
        server.post(path + "/Skip", ServerKeys.ADMIN, Map.of("batch_id", "b")))) {
      assertThat(a.status()).as(a.toString()).isEqualTo(501);
      assertThat(a.json().get("error").asText()).contains("keeps no dead letters");
    }
    // bad input is still reported first, as a 400
    assertThat(server.get(path + "/DeadLetters?limit=0", ServerKeys.ADMIN).status()).isEqualTo(400);

    ((ObjectNode) doc.at("/configuration/retry")).put("on_exhausted", "dead_letter");
    Answer refused = server.post("/1/Subscription", ServerKeys.ADMIN, doc);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(RestApiTest.fields(refused)).containsExactly("configuration.retry.on_exhausted");

    Answer test = server.post(path + "/Test", ServerKeys.ADMIN, Map.of());
    assertThat(test.status()).isEqualTo(200);
    assertThat(test.json().get("status_code").isNull()).isTrue();
    assertThat(test.json().get("error").asText()).isNotBlank();
  }

  /** Forwards the required calls to another store; keeps the SPI's defaults, which keep no dead letters. */
  static final class KeepsNoDeadLetters implements SubscriptionStore {
    private final SubscriptionStore d;

    KeepsNoDeadLetters(SubscriptionStore delegate) {
      this.d = delegate;
    }

    @Override public Subscription create(Subscription s) { return d.create(s); }
    @Override public Subscription update(Subscription s, long v) { return d.update(s, v); }
    @Override public boolean delete(String id) { return d.delete(id); }
    @Override public Optional<Subscription> get(String id) { return d.get(id); }
    @Override public List<Subscription> list() { return d.list(); }
    @Override public OnlineState onlineState() { return d.onlineState(); }
    @Override public void saveOnlineState(OnlineState s) { d.saveOnlineState(s); }
    @Override public void saveHealth(String id, HealthDetails h) { d.saveHealth(id, h); }
    @Override public Optional<HealthDetails> health(String id) { return d.health(id); }
    @Override public void appendActivity(String id, List<ActivityEvent> e, int keep) { d.appendActivity(id, e, keep); }
    @Override public List<ActivityEvent> recentActivity(String id, int limit) { return d.recentActivity(id, limit); }
    @Override public boolean claimAlert(String id, String key, Instant now, Duration min) { return d.claimAlert(id, key, now, min); }
  }
}
