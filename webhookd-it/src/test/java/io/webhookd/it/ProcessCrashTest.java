package io.webhookd.it;

import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.http.JdkHttpDestination;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testkit.WebhookReceiver.Response;
import io.webhookd.testkit.WithKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real process crash: an engine in another JVM is killed with SIGKILL in the middle of a stream. */
@WithKafka
class ProcessCrashTest {

  @Test
  @DisplayName("an engine process killed mid-stream: a new engine resumes from the last commit with none missing")
  void resumesAfterSigkill(KafkaCluster kafka, @TempDir Path dir) throws Exception {
    String t = topic(kafka, "crash", 3);
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      // fast at first, then slow, so that the kill comes long before the stream's end
      receiver.respondWith((n, r) -> Response.ok().withDelay(Duration.ofMillis(n <= 20 ? 5 : 100)));
      kafka.produce(t, jsonMessages(t, 0, 5000));
      Process child =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp", System.getProperty("java.class.path"),
                  Child.class.getName(), kafka.bootstrapServers(), t, receiver.url().toString(), dir.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("child.log").toFile())
              .start();
      try {
        await().atMost(Duration.ofSeconds(90)).until(() -> receiver.uniqueDeliveredIds().size() > 500 || !child.isAlive());
        assertThat(child.isAlive()).as("child still running (see %s)", dir.resolve("child.log")).isTrue();
      } finally {
        child.destroyForcibly(); // SIGKILL: no close, no commit, no leaving the group
        child.waitFor();
      }
      int beforeCrash = receiver.uniqueDeliveredIds().size();
      assertThat(beforeCrash).isLessThan(5000);
      try (Webhookd engine =
          Webhookd.builder().bootstrapServers(kafka.bootstrapServers())
              .destination(JdkHttpDestination.builder().allowPrivateDestinations(true).build())
              .store(JdbcSubscriptionStore.h2(dir.resolve("db"))).build()) {
        assertThat(engine.list()).hasSize(1);
        receiver.awaitDeliveredCount(5000, Duration.ofSeconds(120));
      }
      assertThat(receiver.uniqueDeliveredIds()).hasSize(5000);
      DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
    }
  }

  /** The engine process: registers the subscription (once) and delivers until killed. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      Webhookd engine =
          Webhookd.builder().bootstrapServers(args[0])
              .destination(JdkHttpDestination.builder().allowPrivateDestinations(true).build())
              .store(JdbcSubscriptionStore.h2(Path.of(args[3]).resolve("db"))).build();
      if (engine.list().isEmpty()) {
        engine.subscribe(SubscriptionSpec.builder().name("crashing").webhookUrl(args[2]).source(args[1])
            .maxBatchSize(50).maxBatchInterval(Duration.ofMillis(20)).build());
      }
      new CountDownLatch(1).await();
    }
  }

}
