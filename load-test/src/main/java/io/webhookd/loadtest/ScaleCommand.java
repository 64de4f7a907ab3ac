package io.webhookd.loadtest;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.ReceivedRequest;
import io.webhookd.testkit.WebhookReceiver;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Many subscriptions on one engine: how many threads, how much heap and CPU per idle and per busy
 * subscription, how long one message to a topic takes to reach each of its subscriptions, and
 * (with {@code --backlog}) what a backlogged subscription delivers among idle ones against alone.
 * Run it with the heap limit to prove, e.g. {@code java -Xmx1g -jar … scale}.
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
    description = "Run many subscriptions on one engine, or over several engine processes (--engines), and report threads, heap and CPU,"
        + " idle and busy, and the failover time when an engine is killed.")
final class ScaleCommand implements Callable<Integer> {
  @Option(names = "--subscriptions", description = "Subscriptions on the engine (default 1000).")
  int subscriptions = 1000;

  @Option(names = "--topics", description = "Topics they are spread over (default 10).")
  int topics = 10;

  @Option(names = "--messages", description = "Messages per topic in the busy phase (default 20; 0 skips the busy phase).")
  int messages = 20;

  @Option(names = "--idle-seconds", description = "Length of the idle measurement (default 30).")
  int idleSeconds = 30;

  @Option(names = "--engines", description = "0 (default): one engine in this JVM with an in-memory store; N: N engine processes sharing"
      + " PostgreSQL (--jdbc-url) and a Kafka broker in a JVM of its own, with a kill -9 of one under load (--kill).")
  int engines = 0;

  @Option(names = "--jdbc-url", description = "PostgreSQL for --engines; a schema of its own is made and dropped (default ${DEFAULT-VALUE}).",
      defaultValue = "jdbc:postgresql://127.0.0.1:5432/test")
  String jdbcUrl;

  @Option(names = "--jdbc-user", defaultValue = "postgres", description = "PostgreSQL user (default ${DEFAULT-VALUE}).")
  String jdbcUser;

  @Option(names = "--partitions", description = "Partitions per topic with --engines (default 3).")
  int partitions = 3;

  @Option(names = "--kill", negatable = true, defaultValue = "true", description = "With --engines: kill -9 the busiest engine in the middle of a load (default ${DEFAULT-VALUE}).")
  boolean kill;

  @Option(names = "--load-seconds", description = "Length of the load the kill happens in (default 30).")
  int loadSeconds = 30;

  @Option(names = "--rate", description = "Messages per second produced during that load, over all topics (default 200).")
  int rate = 200;

  @Option(names = "--engine-heap", defaultValue = "512m", description = "-Xmx of each engine process (default ${DEFAULT-VALUE}).")
  String engineHeap;

  @Option(names = "--share-idle", description = "Subscriptions caught up for this many seconds give up their consumer to their topic's"
      + " shared reader (Webhookd.Builder.shareIdleReading), on the one engine or on each of --engines; 0 (default): off.")
  int shareIdle = 0;

  @Option(names = "--backlog", description = "One engine: messages of the backlog measurement: one subscription on scale-backlog"
      + " (3 partitions) delivers N alone before the idle subscriptions are registered (after N unmeasured, for the JIT), and N"
      + " more among them once idle was measured; reports msg/s of both and their ratio (the target: at least 80%%). 0 (default): off.")
  int backlog = 0;

  @Option(names = "--transport", defaultValue = "apache", description = "The engine's transport: apache (webhookd-http-apache) or jdk (webhookd-http-jdk) (default ${DEFAULT-VALUE}).")
  String transport;

  static final String BACKLOG_TOPIC = "scale-backlog";

  /** Refuses options that make no run, before anything starts (exit status 2). */
  void validate() {
    if (subscriptions < 1) {
      throw new IllegalArgumentException("--subscriptions must be at least 1, was " + subscriptions);
    }
    if (topics < 1) {
      throw new IllegalArgumentException("--topics must be at least 1, was " + topics);
    }
    if (messages < 0) {
      throw new IllegalArgumentException("--messages must be 0 (no busy phase) or more, was " + messages);
    }
    if (idleSeconds < 1) {
      throw new IllegalArgumentException("--idle-seconds must be at least 1, was " + idleSeconds);
    }
    if (shareIdle < 0) {
      throw new IllegalArgumentException("--share-idle must be 0 (off) or a number of seconds, was " + shareIdle);
    }
    if (backlog < 0) {
      throw new IllegalArgumentException("--backlog must be 0 (off) or a number of messages, was " + backlog);
    }
    if (backlog > 0 && engines > 0) {
      throw new IllegalArgumentException("--backlog is measured on one engine: leave out --engines");
    }
  }

  @Override
  public Integer call() throws Exception {
    validate();
    Transports.use(transport, List.of("apache", "jdk"));
    System.out.println("transport: " + Transports.describe());
    if (engines > 0) {
      return new ScaleOutRun(this).run();
    }
    System.out.println("load average at the start: " + BenchCommand.loadAverage());
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (KafkaCluster kafka = KafkaCluster.start(1); WebhookReceiver receiver = WebhookReceiver.start();
        WebhookReceiver backlogReceiver = WebhookReceiver.start()) {
      List<String> names = new ArrayList<>();
      for (int t = 0; t < topics; t++) {
        String name = "scale-" + t;
        kafka.createTopic(name, 1);
        names.add(name);
      }
      if (backlog > 0) {
        kafka.createTopic(BACKLOG_TOPIC, 3);
      }
      long heapBefore = usedHeapAfterGc(memory);
      int threadsBefore = threads.getThreadCount();
      long startNanos = System.nanoTime();
      Webhookd.Builder builder = Webhookd.builder().bootstrapServers(kafka.bootstrapServers()).destination(Transports.create());
      if (shareIdle > 0) {
        builder.shareIdleReading(Duration.ofSeconds(shareIdle));
      }
      try (Webhookd engine = builder.build()) {
        double alone = 0;
        if (backlog > 0) {
          // alone: before any idle subscription exists
          Subscription b = engine.subscribe(SubscriptionSpec.builder().name(BACKLOG_TOPIC).webhookUrl(backlogReceiver.url("/backlog").toString())
              .source(BACKLOG_TOPIC).maxBatchSize(100).maxBatchInterval(Duration.ofMillis(200)).build());
          long until = System.nanoTime() + Duration.ofMinutes(1).toNanos();
          while (!engine.isRunning(b.id()) && System.nanoTime() < until) {
            Thread.sleep(100); // polling a state in a measurement tool, not a test
          }
          // the same once unmeasured first: the JIT would otherwise slow the first measurement, not the second
          if (backlogPhase(kafka, backlogReceiver, "warmup", "warm-up (not measured)") < 0) {
            return 1;
          }
          backlogReceiver.reset();
          alone = backlogPhase(kafka, backlogReceiver, "alone", "alone (no other subscription on the engine)");
          if (alone < 0) {
            return 1;
          }
          backlogReceiver.reset(); // forgets what it recorded: not in the idle heap
        }

        List<String> ids = new ArrayList<>();
        List<String> firstTopicIds = new ArrayList<>();
        long registerStart = System.nanoTime();
        for (int i = 0; i < subscriptions; i++) {
          Subscription s = engine.subscribe(SubscriptionSpec.builder().name("scale-" + i).webhookUrl(receiver.url("/s/" + i).toString())
              .source(names.get(i % topics)).maxBatchSize(10).maxBatchInterval(Duration.ofMillis(200)).build());
          ids.add(s.id());
          if (i % topics == 0) {
            firstTopicIds.add(s.id());
          }
        }
        System.out.printf("%d subscriptions registered in %.1f s%n", subscriptions, (System.nanoTime() - registerStart) / 1e9);

        if (shareIdle > 0) {
          // no message to each: it would wake every subscription onto a consumer of its own at once. Instead: until each runs
          // (on its own consumer or parked at its topic's shared reader), none has a consumer of its own any more, and the
          // thread count has settled
          String la = BenchCommand.loadAverage();
          int limit = threadsBefore + subscriptions / 2 + 60;
          long until = System.nanoTime() + Duration.ofMinutes(10).toNanos();
          int running;
          int own;
          while (true) {
            running = 0;
            for (String id : ids) {
              if (engine.isRunning(id)) {
                running++;
              }
            }
            own = ownRunners(threads, ids);
            if (running == subscriptions && own == 0 && threads.getThreadCount() <= limit) {
              break;
            }
            if (System.nanoTime() > until) {
              System.out.printf("not settled within 10 minutes: %d of %d running, %d on a consumer of their own, %d threads"
                  + " (settled: at most %d); measuring all the same%n", running, subscriptions, own, threads.getThreadCount(), limit);
              break;
            }
            Thread.sleep(1000); // polling counters in a measurement tool, not a test
          }
          System.out.printf("%d subscriptions running, %d of them on a consumer of their own, %d threads (at most %d) %.1f s after the"
                  + " first was registered (%.1f s after the engine was built); load average %s -> %s%n", running, own,
              threads.getThreadCount(), limit, (System.nanoTime() - registerStart) / 1e9, (System.nanoTime() - startNanos) / 1e9, la,
              BenchCommand.loadAverage());
        } else {
          // every consumer must have joined its group before the busy phase, or it would not count
          for (String topic : names) {
            kafka.produce(topic, List.of(new ProducerRecord<>(topic, "warm", "{\"warm\":true}".getBytes(StandardCharsets.UTF_8))));
          }
          receiver.awaitDeliveredCount(topics, Duration.ofMinutes(10));
          while (receiver.deliveredMessages().size() < subscriptions) {
            Thread.sleep(500); // polling a counter in a measurement tool, not a test
            if (System.nanoTime() - startNanos > Duration.ofMinutes(10).toNanos()) {
              System.out.printf("only %d of %d subscriptions delivered within 10 minutes%n", receiver.deliveredMessages().size(), subscriptions);
              return 1;
            }
          }
          System.out.printf("%d subscriptions running and delivering after %.1f s%n", subscriptions, (System.nanoTime() - startNanos) / 1e9);
        }

        String laIdle = BenchCommand.loadAverage();
        long heapIdle = usedHeapAfterGc(memory);
        int threadsIdle = threads.getThreadCount();
        long cpu0 = os.getProcessCpuTime();
        Thread.sleep(idleSeconds * 1000L);
        long idleCpu = os.getProcessCpuTime() - cpu0;
        System.out.printf("idle: %d threads (%d before the engine), heap %.1f MiB after GC (%.1f MiB before), CPU %.1f%% of one core over %d s;"
                + " load average %s -> %s%n", threadsIdle, threadsBefore, heapIdle / 1048576.0, heapBefore / 1048576.0,
            100.0 * idleCpu / (idleSeconds * 1e9), idleSeconds, laIdle, BenchCommand.loadAverage());
        System.out.printf("per idle subscription: %.2f threads, %.0f KiB heap, %.3f ms CPU per second%s%n",
            (threadsIdle - threadsBefore) / (double) subscriptions, (heapIdle - heapBefore) / 1024.0 / subscriptions,
            idleCpu / 1e6 / idleSeconds / subscriptions, backlog > 0 ? " (the backlog subscription included)" : "");

        if (backlog > 0) {
          double among = backlogPhase(kafka, backlogReceiver, "among", "among " + subscriptions + " idle subscriptions");
          if (among < 0) {
            return 1;
          }
          System.out.printf("backlog: %.0f msg/s among %d idle subscriptions against %.0f msg/s alone: %.0f%% (target: at least 80%%)%n",
              among, subscriptions, alone, 100.0 * among / alone);
          backlogReceiver.reset();
        }

        // one message to the first topic: how long until each of its subscriptions delivered it
        String first = names.get(0);
        if (shareIdle > 0) {
          wake(kafka, receiver, first, "wake-1", firstTopicIds.size(),
              "wake 1 (all parked)");
          String la = BenchCommand.loadAverage();
          long woke = System.nanoTime();
          long until = woke + Duration.ofMinutes(3).toNanos();
          int own;
          while ((own = ownRunners(threads, firstTopicIds)) > 0 && System.nanoTime() < until) {
            Thread.sleep(500); // polling a state in a measurement tool, not a test
          }
          System.out.printf("  %s back at the shared reader %.1f s after the wake (%d of its %d subscriptions still on a consumer of"
              + " their own), %d threads; load average %s -> %s%n", first, (System.nanoTime() - woke) / 1e9, own, firstTopicIds.size(),
              threads.getThreadCount(), la, BenchCommand.loadAverage());
          wake(kafka, receiver, first, "wake-2", firstTopicIds.size(),
              "wake 2 (steady state: parked again after they had woken)");
        } else {
          wake(kafka, receiver, first, "wake-1", firstTopicIds.size(), "delivery (own consumers)");
        }

        if (messages > 0) {
          String la = BenchCommand.loadAverage();
          int before = receiver.deliveredMessages().size();
          long cpu1 = os.getProcessCpuTime();
          long busyStart = System.nanoTime();
          for (String topic : names) {
            List<ProducerRecord<String, byte[]>> batch = new ArrayList<>();
            for (int m = 0; m < messages; m++) {
              batch.add(new ProducerRecord<>(topic, "k" + m, ("{\"m\":" + m + "}").getBytes(StandardCharsets.UTF_8)));
            }
            kafka.produce(topic, batch);
          }
          long expected = before + (long) subscriptions * messages;
          while (receiver.deliveredMessages().size() < expected) {
            Thread.sleep(200);
            if (System.nanoTime() - busyStart > Duration.ofMinutes(10).toNanos()) {
              System.out.printf("busy phase incomplete: %d of %d%n", receiver.deliveredMessages().size(), expected);
              return 1;
            }
          }
          double busySeconds = (System.nanoTime() - busyStart) / 1e9;
          long busyCpu = os.getProcessCpuTime() - cpu1;
          System.out.printf("busy: %d deliveries (%d messages x %d subscriptions) in %.1f s, %d threads, heap %.1f MiB after GC, CPU %.1f s"
                  + " (%.1f ms per subscription, %.0f µs per delivered message); load average %s -> %s%n",
              (long) subscriptions * messages, messages, subscriptions, busySeconds, threads.getThreadCount(), usedHeapAfterGc(memory) / 1048576.0,
              busyCpu / 1e9, busyCpu / 1e6 / subscriptions, busyCpu / 1e3 / ((double) subscriptions * messages), la, BenchCommand.loadAverage());
        } else {
          System.out.println("busy: skipped (--messages 0)");
        }
        System.out.printf("max heap (-Xmx): %.0f MiB%n", memory.getHeapMemoryUsage().getMax() / 1048576.0);
      }
    }
    System.out.println("load average at the end: " + BenchCommand.loadAverage());
    return 0;
  }

  /**
   * Produces {@code --backlog} messages of about 200 bytes to {@link #BACKLOG_TOPIC} and waits until
   * its subscription delivered each; prints the figures. Counts only the messages of this phase,
   * once each, as they arrive at the backlog subscription's own receiver.
   *
   * @return msg/s from the first send to the last arrival, or -1 when they did not all arrive
   */
  private double backlogPhase(KafkaCluster kafka, WebhookReceiver backlogReceiver, String phase, String label) throws InterruptedException {
    String la = BenchCommand.loadAverage();
    PhaseCounter counter = new PhaseCounter(phase, backlog);
    backlogReceiver.respondWith(counter);
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>(backlog);
    for (int m = 0; m < backlog; m++) {
      records.add(new ProducerRecord<>(BACKLOG_TOPIC, "b" + m, backlogValue(phase, m)));
    }
    long start = System.nanoTime();
    kafka.produce(BACKLOG_TOPIC, records);
    double producedSeconds = (System.nanoTime() - start) / 1e9;
    if (!counter.all.await(10, TimeUnit.MINUTES)) {
      System.out.printf("backlog %s: only %d of %d delivered within 10 minutes%n", label, counter.ids.size(), backlog);
      return -1;
    }
    double seconds = (counter.doneNanos - start) / 1e9;
    double rate = backlog / seconds;
    System.out.printf("backlog %s: %d messages delivered in %.2f s: %.0f msg/s (produced in %.1f s; first delivery after %.2f s);"
        + " load average %s -> %s%n", label, backlog, seconds, rate, producedSeconds, (counter.firstNanos - start) / 1e9, la,
        BenchCommand.loadAverage());
    return rate;
  }

  /** A JSON value of about 200 bytes. */
  static byte[] backlogValue(String phase, int m) {
    String head = "{\"phase\":\"" + phase + "\",\"m\":" + m + ",\"pad\":\"";
    return (head + "x".repeat(Math.max(0, 198 - head.length())) + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  /** Counts a phase's distinct messages as they arrive (answering 200); when the first came and when the last did. */
  static final class PhaseCounter implements WebhookReceiver.Responder {
    final String phase;
    final int target;
    final Set<String> ids = ConcurrentHashMap.newKeySet();
    final CountDownLatch all = new CountDownLatch(1);
    volatile long firstNanos;
    volatile long doneNanos;

    PhaseCounter(String phase, int target) {
      this.phase = phase;
      this.target = target;
    }

    @Override
    public WebhookReceiver.Response respond(int requestNumber, ReceivedRequest request) {
      long now = System.nanoTime();
      for (ReceivedMessage m : request.messages()) {
        if (phase.equals(m.value().path("phase").asText()) && ids.add(m.id())) {
          synchronized (this) {
            if (firstNanos == 0) {
              firstNanos = now;
            }
            if (ids.size() >= target && doneNanos == 0) {
              doneNanos = now;
              all.countDown();
            }
          }
        }
      }
      return WebhookReceiver.Response.ok();
    }
  }

  /**
   * One message (key {@code key}) to {@code topic}; waits until each of its {@code subscriptions}
   * subscriptions received it and prints when they did: median, p90, p99, max.
   */
  private static void wake(KafkaCluster kafka, WebhookReceiver receiver, String topic, String key, int subscriptions, String label)
      throws InterruptedException {
    String la = BenchCommand.loadAverage();
    Map<String, Long> arrivals = new ConcurrentHashMap<>();
    receiver.respondWith((n, request) -> {
      long now = System.nanoTime();
      for (ReceivedMessage m : request.messages()) {
        if (key.equals(m.key())) {
          arrivals.putIfAbsent(request.path(), now);
        }
      }
      return WebhookReceiver.Response.ok();
    });
    long sentAt = System.nanoTime();
    kafka.produce(topic, List.of(new ProducerRecord<>(topic, key, ("{\"" + key + "\":true}").getBytes(StandardCharsets.UTF_8))));
    long until = sentAt + Duration.ofMinutes(5).toNanos();
    while (arrivals.size() < subscriptions && System.nanoTime() < until) {
      Thread.sleep(50); // polling a counter in a measurement tool, not a test
    }
    receiver.respondWith((n, request) -> WebhookReceiver.Response.ok());
    List<Long> after = new ArrayList<>();
    arrivals.values().forEach(t -> after.add(t - sentAt));
    Collections.sort(after);
    System.out.printf("%s: one message to %s reaches all %d of its subscriptions; %d received it%s; load average %s -> %s%n", label, topic,
        subscriptions, after.size(), after.isEmpty() ? "" : ": " + quantiles(after), la, BenchCommand.loadAverage());
  }

  /** "median …, p90 …, p99 …, max …" of sorted durations in nanoseconds, in seconds. */
  static String quantiles(List<Long> sortedNanos) {
    return String.format(Locale.ROOT, "median %.2f s, p90 %.2f s, p99 %.2f s, max %.2f s", quantile(sortedNanos, 0.5) / 1e9,
        quantile(sortedNanos, 0.9) / 1e9, quantile(sortedNanos, 0.99) / 1e9, sortedNanos.get(sortedNanos.size() - 1) / 1e9);
  }

  /** The nearest-rank quantile {@code q} (0 < q <= 1) of a sorted, non-empty list. */
  static long quantile(List<Long> sorted, double q) {
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1)));
  }

  /**
   * How many of these subscriptions have a runner thread of their own, named {@code webhookd-}
   * and the first 8 characters of the id (a parked subscription has none).
   */
  private static int ownRunners(ThreadMXBean threads, List<String> ids) {
    Set<String> names = new HashSet<>();
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds(), 0)) {
      if (t != null) {
        names.add(t.getThreadName());
      }
    }
    int n = 0;
    for (String id : ids) {
      if (names.contains("webhookd-" + id.substring(0, Math.min(8, id.length())))) {
        n++;
      }
    }
    return n;
  }

  private static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
    System.gc();
    Thread.sleep(200);
    return memory.getHeapMemoryUsage().getUsed();
  }
}
