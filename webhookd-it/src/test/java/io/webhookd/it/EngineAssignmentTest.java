package io.webhookd.it;

import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.Assignment;
import io.webhookd.EngineInfo;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.internal.Engine;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.ReceivedRequest;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testkit.WebhookReceiver.Response;
import io.webhookd.testkit.WithKafka;
import io.webhookd.testsupport.PostgresSchema;
import io.webhookd.testsupport.RequiresPostgres;
import io.webhookd.testsupport.TestPostgres;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Engines sharing PostgreSQL divide the subscriptions through the coordination group ({@link
 * Assignment#SLOTS}): each subscription runs on exactly {@code parallelism} engines, the engines
 * are evenly loaded, and an engine that closes or dies hands its subscriptions to the others, with
 * nothing missing.
 */
@WithKafka
@RequiresPostgres
class EngineAssignmentTest {
  private static final Logger log = LoggerFactory.getLogger(EngineAssignmentTest.class);

  private final KafkaCluster kafka;
  private WebhookReceiver receiver;
  private PostgresSchema schema;
  private final String key = newKey();
  /** A coordination group and slots topic of this test's own, so no other test's engines join them. */
  private final String group = "engines-" + UUID.randomUUID();
  private final String slotsTopic = "slots-" + UUID.randomUUID();
  private final List<Engine> engines = new ArrayList<>();
  private final List<JdbcSubscriptionStore> stores = new ArrayList<>();
  /** Shared reading of idle subscriptions on every engine started (null: off). */
  private Duration idleAfter;

  EngineAssignmentTest(KafkaCluster kafka) {
    this.kafka = kafka;
  }

  @BeforeEach
  void setUp() {
    receiver = WebhookReceiver.start();
  }

  @AfterEach
  void tearDown() {
    engines.forEach(Engine::close);
    stores.forEach(JdbcSubscriptionStore::close);
    receiver.close();
    if (schema != null) {
      schema.close();
    }
  }

  private static String newKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  private Engine startEngine(TestPostgres postgres, String id) {
    if (schema == null) {
      schema = postgres.newSchema();
    }
    JdbcSubscriptionStore store = JdbcSubscriptionStore.builder().jdbcUrl(schema.jdbcUrl()).encryptionKey(key).build();
    stores.add(store);
    Engine e =
        Engines.on(kafka)
            .store(store)
            .requestTimeout(Duration.ofSeconds(5))
            .shutdownTimeout(Duration.ofSeconds(10))
            .scaling(new Engine.Scaling(null, id, group, slotsTopic, 64, Duration.ofSeconds(1)).withIdleAfter(idleAfter))
            .start();
    engines.add(e);
    return e;
  }

  private SubscriptionSpec spec(String topic, String name, int parallelism) {
    return SubscriptionSpec.builder()
        .name(name)
        .webhookUrl(receiver.url("/" + name).toString())
        .source(topic)
        .maxBatchSize(50)
        .maxBatchInterval(Duration.ofMillis(50))
        .retryInitialDelay(Duration.ofMillis(50))
        .retryMaxDelay(Duration.ofMillis(500))
        .parallelism(parallelism)
        .build();
  }

  /** The engines running each subscription, by subscription id. */
  private static Map<String, Set<String>> whereRunning(List<Engine> live, List<Subscription> subs) {
    Map<String, Set<String>> where = new HashMap<>();
    for (Subscription s : subs) {
      Set<String> on = new TreeSet<>();
      for (Engine e : live) {
        if (e.isRunning(s.id())) {
          on.add(e.engineId());
        }
      }
      where.put(s.id(), on);
    }
    return where;
  }

  /** Awaits the steady state: every subscription on exactly min(parallelism, engines) of {@code live}, as each engine's status says too. */
  private void awaitEachOnParallelismEngines(List<Engine> live, List<Subscription> subs, Duration within) {
    await().atMost(within).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
      Map<String, Set<String>> where = whereRunning(live, subs);
      for (Subscription s : subs) {
        int want = Math.min(s.spec().delivery().parallelism(), live.size());
        assertThat(where.get(s.id())).as("engines of %s", s.spec().name()).hasSize(want);
        for (Engine e : live) {
          assertThat(new TreeSet<>(e.status(s.id()).orElseThrow().engines()))
              .as("engines of %s seen by %s", s.spec().name(), e.engineId())
              .isEqualTo(where.get(s.id()));
        }
      }
    });
  }

  private static Map<String, Integer> load(List<Engine> live, List<Subscription> subs) {
    Map<String, Integer> load = new TreeMap<>();
    live.forEach(e -> load.put(e.engineId(), 0));
    whereRunning(live, subs).values().forEach(on -> on.forEach(e -> load.merge(e, 1, Integer::sum)));
    return load;
  }

  /**
   * Every engine takes a share: each subscription runs on exactly its parallelism engines and no
   * live engine runs none. The division itself (the 1,000 ± 20% for 3,000 subscriptions)
   * is measured by the load test's {@code scale --engines 3} at 900 subscriptions (BENCHMARKS.md:
   * 298 / 275 / 327); with the 69 runners of this test it was seen from 16 to 27 around an even
   * 23 after an engine joined, which is logged here and left to that measurement.
   */
  private void awaitBalanced(List<Engine> live, List<Subscription> subs) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      Map<String, Set<String>> where = whereRunning(live, subs);
      for (Subscription s : subs) {
        assertThat(where.get(s.id())).hasSize(Math.min(s.spec().delivery().parallelism(), live.size()));
      }
      Map<String, Integer> load = load(live, subs);
      assertThat(load.values()).as("subscriptions per engine %s", load).allSatisfy(n -> assertThat(n).isPositive());
    });
    log.info("subscriptions per engine: {}", load(live, subs));
  }

  /** 54 subscriptions of parallelism 1, 3 of 2 and 3 of 3: 69 runners. */
  private List<Subscription> subscribeSixty(Engine via, String topic) {
    List<Subscription> subs = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      int p = i < 54 ? 1 : i < 57 ? 2 : 3;
      subs.add(via.subscribe(spec(topic, "sub-" + i, p), null));
    }
    return subs;
  }

  @Test
  @DisplayName("three engines: each subscription runs on exactly parallelism engines, every engine runs a share, and each delivers")
  void eachSubscriptionOnParallelismEngines(TestPostgres postgres) {
    String t = topic(kafka, "assigned", 1);
    List<Engine> live = List.of(startEngine(postgres, "engine-a"), startEngine(postgres, "engine-b"), startEngine(postgres, "engine-c"));
    List<Subscription> subs = subscribeSixty(live.get(0), t);
    awaitEachOnParallelismEngines(live, subs, Duration.ofSeconds(90));
    awaitBalanced(live, subs);
    Map<String, Integer> load = load(live, subs);
    log.info("subscriptions per engine: {}", load);
    assertThat(load.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(54 + 6 + 9);
    assertThat(live.get(1).engines()).extracting(EngineInfo::id).containsExactly("engine-a", "engine-b", "engine-c");

    kafka.produce(t, jsonMessages(t, 0, 1));
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(pathsDelivered()).hasSize(60));
  }

  @Test
  @DisplayName("an engine closed: its subscriptions move to the others; an engine that joins takes its share")
  void closedEngineHandsOverAndNewEngineTakesItsShare(TestPostgres postgres) {
    String t = topic(kafka, "handover", 1);
    List<Engine> three = List.of(startEngine(postgres, "engine-a"), startEngine(postgres, "engine-b"), startEngine(postgres, "engine-c"));
    List<Subscription> subs = subscribeSixty(three.get(0), t);
    awaitEachOnParallelismEngines(three, subs, Duration.ofSeconds(90));

    three.get(2).close();
    List<Engine> two = three.subList(0, 2);
    awaitEachOnParallelismEngines(two, subs, Duration.ofSeconds(60));
    awaitBalanced(two, subs);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(three.get(0).engines()).extracting(EngineInfo::id).containsExactly("engine-a", "engine-b"));

    List<Engine> again = List.of(three.get(0), three.get(1), startEngine(postgres, "engine-d"));
    awaitEachOnParallelismEngines(again, subs, Duration.ofSeconds(90));
    awaitBalanced(again, subs);
  }

  @Test
  @DisplayName("an engine abandoned under load (as a crash): its subscriptions run on the others; every message reaches every subscription")
  void abandonedEngineUnderLoadLosesNothing(TestPostgres postgres) throws Exception {
    abandonUnderLoad(postgres);
  }

  @Test
  @DisplayName("with shared reading: an engine abandoned under load: its subscriptions, on shared readers and fed runners, run on the others; every message reaches every subscription")
  void abandonedEngineWithSharedReadingLosesNothing(TestPostgres postgres) throws Exception {
    idleAfter = Duration.ofSeconds(2);
    abandonUnderLoad(postgres);
    for (Engine e : engines) {
      assertThat(e.parkingsAndWakings()[1]).as("wakings on %s", e.engineId()).isPositive();
    }
  }

  private void abandonUnderLoad(TestPostgres postgres) throws Exception {
    String t = topic(kafka, "crash", 3);
    receiver.respondWith((n, req) -> Response.ok().withDelay(Duration.ofMillis(5)));
    List<Engine> three = List.of(startEngine(postgres, "engine-a"), startEngine(postgres, "engine-b"), startEngine(postgres, "engine-c"));
    List<Subscription> subs = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      subs.add(three.get(0).subscribe(spec(t, "load-" + i, 1), null));
    }
    awaitEachOnParallelismEngines(three, subs, Duration.ofSeconds(90));

    int total = 3000;
    AtomicInteger produced = new AtomicInteger();
    Set<String> expected = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Thread producer = new Thread(() -> {
      while (produced.get() < total) {
        for (org.apache.kafka.clients.producer.RecordMetadata m : kafka.produce(t, jsonMessages(t, produced.get(), 50))) {
          expected.add(ReceivedMessage.id(m.topic(), m.partition(), m.offset()));
        }
        produced.addAndGet(50);
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    producer.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> produced.get() >= total / 3);

    Map<String, Integer> load = load(three, subs);
    Engine victim = three.stream().max(Comparator.comparingInt(e -> load.get(e.engineId()))).orElseThrow();
    List<Subscription> itsOwn = subs.stream().filter(s -> victim.isRunning(s.id())).toList();
    assertThat(itsOwn).isNotEmpty();
    long killedAt = System.nanoTime();
    victim.abandonForTesting();
    List<Engine> survivors = three.stream().filter(e -> e != victim).toList();
    awaitEachOnParallelismEngines(survivors, subs, Duration.ofSeconds(60));
    log.info("{} subscriptions of the abandoned engine ran on the others after {} ms",
        itsOwn.size(), (System.nanoTime() - killedAt) / 1_000_000);

    producer.join(120_000);
    assertThat(produced.get()).isEqualTo(total);
    assertThat(expected).hasSize(total);
    await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
      Map<String, List<ReceivedMessage>> byPath = deliveredByPath();
      for (Subscription s : subs) {
        Set<String> got = new HashSet<>();
        byPath.getOrDefault("/" + s.spec().name(), List.of()).forEach(m -> got.add(m.id()));
        assertThat(got).as("messages delivered to %s", s.spec().name()).containsAll(expected);
      }
    });
    deliveredByPath().values().forEach(DeliveryTest::assertOrderedPerPartition);
  }

  private Set<String> pathsDelivered() {
    return deliveredByPath().keySet();
  }

  /** The messages of the accepted requests, by the path they were posted to (one per subscription), in arrival order. */
  private Map<String, List<ReceivedMessage>> deliveredByPath() {
    Map<String, List<ReceivedMessage>> byPath = new HashMap<>();
    for (ReceivedRequest r : receiver.requests()) {
      if (r.answeredSuccess() && !r.messages().isEmpty()) {
        byPath.computeIfAbsent(r.path(), p -> new ArrayList<>()).addAll(r.messages());
      }
    }
    return byPath;
  }
}
