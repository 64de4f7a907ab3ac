package io.webhookd.it;

import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.internal.Engine;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.WebhookReceiver.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Engines joining, leaving and dying while a receiver answers slowly or with errors: nothing may go
 * missing, no two requests of one partition may be open at once, and a committed offset may never
 * pass a message the receiver has not accepted. On each group protocol and assignor. The engine
 * that dies is a process of its own, killed with SIGKILL: no close, no commit, no leaving the group.
 */
class RebalanceChurnTest extends ReceiverTestBase {
  private static final int PARTITIONS = 6;
  private static final int MESSAGES = 6000;

  RebalanceChurnTest(KafkaCluster kafka) {
    super(kafka);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"classic", "classic-cooperative-sticky", "consumer"})
  @DisplayName("churn: engines join, leave and crash under slow and failing responses: 0 missing, 0 overlaps, commits never ahead")
  void churn(String mode) throws Exception {
    String t = topic(kafka, "churn", PARTITIONS);
    SubscriptionStore store = SubscriptionStore.inMemory();
    // 4% answered 500, 3% after 2 s (below the 5 s request timeout), the rest at once
    receiver.respondWith((n, r) -> {
      int roll = Math.floorMod(n * 7919, 100);
      if (roll < 4) {
        return Response.status(500);
      }
      return roll < 7 ? Response.ok().withDelay(Duration.ofSeconds(2)) : Response.ok().withDelay(Duration.ofMillis(5));
    });
    Engines engines = Engines.on(kafka).store(store).requestTimeout(Duration.ofSeconds(5)).shutdownTimeout(Duration.ofSeconds(10));
    Map<String, Object> props = kafkaProperties(mode);
    props.forEach(engines::kafka);

    List<Engine> running = new ArrayList<>();
    running.add(engines.start());
    Subscription s =
        running.get(0).subscribe(
            spec(receiver.url().toString(), t), null);
    Process child = null;
    List<String> ahead = new CopyOnWriteArrayList<>();
    ScheduledExecutorService background = Executors.newScheduledThreadPool(2);
    try {
      background.scheduleWithFixedDelay(() -> checkCommitsBehindDeliveries(s.groupId(), ahead), 200, 250, TimeUnit.MILLISECONDS);
      // a steady stream (about 200 messages a second for 30 s) that the churn happens in
      List<ProducerRecord<String, byte[]>> stream = DeliveryPromiseTest.keyedToPartitions(t, PARTITIONS, MESSAGES);
      AtomicInteger produced = new AtomicInteger();
      background.scheduleAtFixedRate(() -> {
        int from = produced.get();
        if (from < MESSAGES) {
          kafka.produce(t, stream.subList(from, Math.min(MESSAGES, from + 20)));
          produced.set(from + 20);
        }
      }, 0, 100, TimeUnit.MILLISECONDS);

      running.add(engines.start());
      String[] steps = {"join", "leave", "join-process", "join", "kill", "leave", "join"};
      for (String step : steps) {
        int progress = Math.min(receiver.uniqueDeliveredIds().size() + 300, MESSAGES - 300);
        await().atMost(Duration.ofSeconds(90)).until(() -> receiver.uniqueDeliveredIds().size() >= progress);
        switch (step) {
          case "join" -> running.add(engines.start());
          case "leave" -> running.remove(0).close();
          case "join-process" -> {
            child = ChurnChild.start(kafka, s, mode, receiver.url().toString(), t);
            awaitChildOwnsPartitions(s.groupId(), child);
          }
          case "kill" -> {
            child.destroyForcibly(); // SIGKILL
            child.waitFor();
          }
          default -> throw new IllegalStateException(step);
        }
      }
      receiver.awaitDeliveredCount(MESSAGES, Duration.ofSeconds(180));
    } finally {
      if (child != null) {
        child.destroyForcibly();
      }
      background.shutdownNow();
      for (Engine e : running) {
        e.close();
      }
    }
    // the run's figures, for the record (BENCHMARKS.md and the closing note quote them)
    System.out.printf("churn %s: %d messages, %d delivered unique, %d duplicates, %d requests, %d commit samples,"
            + " %d commits ahead, %d overlaps%n", mode, MESSAGES, receiver.uniqueDeliveredIds().size(),
        receiver.duplicateCount(), receiver.requestCount(), samples.get(), ahead.size(), receiver.overlaps().size());
    assertThat(ahead).as("committed offsets ahead of what the receiver accepted").isEmpty();
    assertThat(receiver.overlaps()).as("requests of one partition open at once").isEmpty();
    assertThat(receiver.uniqueDeliveredIds()).hasSize(MESSAGES);
    DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
  }

  static SubscriptionSpec spec(String url, String topic) {
    return SubscriptionSpec.builder().name("churn").webhookUrl(url).source(topic)
        .maxBatchSize(20).maxBatchInterval(Duration.ofMillis(50))
        .retryInitialDelay(Duration.ofMillis(50)).retryMaxDelay(Duration.ofMillis(500)).build();
  }

  static Map<String, Object> kafkaProperties(String mode) {
    Map<String, Object> props = new java.util.HashMap<>();
    if (mode.equals("consumer")) {
      props.put("group.protocol", "consumer");
    } else if (mode.equals("classic-cooperative-sticky")) {
      props.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    }
    return props;
  }

  private void awaitChildOwnsPartitions(String group, Process child) {
    await().atMost(Duration.ofSeconds(90)).until(() -> {
      if (!child.isAlive()) {
        throw new AssertionError("the child engine exited with " + child.exitValue());
      }
      var d = kafka.admin().describeConsumerGroups(List.of(group)).describedGroups().get(group).get(10, TimeUnit.SECONDS);
      return d.members().stream().anyMatch(m -> m.clientId().equals(ChurnChild.CLIENT_ID) && !m.assignment().topicPartitions().isEmpty());
    });
  }

  /** Every offset below a committed one must have been accepted (2xx) by the receiver: commits happen after deliveries, so reading them first makes the check sound. */
  private final java.util.concurrent.atomic.AtomicInteger samples = new java.util.concurrent.atomic.AtomicInteger();

  private void checkCommitsBehindDeliveries(String group, List<String> ahead) {
    try {
      Map<TopicPartition, Long> committed = kafka.committedOffsets(group);
      samples.incrementAndGet();
      Set<String> delivered = receiver.uniqueDeliveredIds();
      for (Map.Entry<TopicPartition, Long> e : committed.entrySet()) {
        for (long o = 0; o < e.getValue(); o++) {
          if (!delivered.contains(ReceivedMessage.id(e.getKey().topic(), e.getKey().partition(), o))) {
            ahead.add(e.getKey() + " committed at " + e.getValue() + " but offset " + o + " was never accepted");
            break;
          }
        }
      }
    } catch (RuntimeException e) {
      // the broker was briefly unavailable to the admin client; the next sample checks again
    }
  }
}
