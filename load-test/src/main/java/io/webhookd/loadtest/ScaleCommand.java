package io.webhookd.loadtest;

import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.WebhookReceiver;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Many subscriptions on one engine: how many threads, how much heap and CPU per idle and per busy
 * subscription. Run it with the heap limit to prove, e.g. {@code java -Xmx1g -jar … scale}.
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
    description = "Run many subscriptions on one engine, or over several engine processes (--engines), and report threads, heap and CPU,"
        + " idle and busy, and the failover time when an engine is killed.")
final class ScaleCommand implements Callable<Integer> {
  @Option(names = "--subscriptions", description = "Subscriptions on the engine (default 1000).")
  int subscriptions = 1000;

  @Option(names = "--topics", description = "Topics they are spread over (default 10).")
  int topics = 10;

  @Option(names = "--messages", description = "Messages per topic in the busy phase (default 20).")
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

  @Option(names = "--share-idle", description = "One engine: subscriptions caught up for this many seconds give up their consumer to"
      + " their topic's shared reader (Webhookd.Builder.shareIdleReading); 0 (default): off.")
  int shareIdle = 0;

  @Option(names = "--transport", defaultValue = "apache", description = "The engine's transport: apache (webhookd-http-apache) or jdk (webhookd-http-jdk) (default ${DEFAULT-VALUE}).")
  String transport;

  @Override
  public Integer call() throws Exception {
    Transports.use(transport, List.of("apache", "jdk"));
    System.out.println("transport: " + Transports.describe());
    if (engines > 0) {
      return new ScaleOutRun(this).run();
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (KafkaCluster kafka = KafkaCluster.start(1); WebhookReceiver receiver = WebhookReceiver.start()) {
      List<String> names = new ArrayList<>();
      for (int t = 0; t < topics; t++) {
        String name = "scale-" + t;
        kafka.createTopic(name, 1);
        names.add(name);
      }
      long heapBefore = usedHeapAfterGc(memory);
      int threadsBefore = threads.getThreadCount();
      long startNanos = System.nanoTime();
      Webhookd.Builder builder = Webhookd.builder().bootstrapServers(kafka.bootstrapServers()).destination(Transports.create());
      if (shareIdle > 0) {
        builder.shareIdleReading(Duration.ofSeconds(shareIdle));
      }
      try (Webhookd engine = builder.build()) {
        for (int i = 0; i < subscriptions; i++) {
          engine.subscribe(SubscriptionSpec.builder().name("scale-" + i).webhookUrl(receiver.url().toString())
              .source(names.get(i % topics)).maxBatchSize(10).maxBatchInterval(Duration.ofMillis(200)).build());
        }
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

        if (shareIdle > 0) {
          // until the caught-up subscriptions went to the shared readers: threads fall by about two per subscription
          long until = System.nanoTime() + Duration.ofMinutes(5).toNanos();
          while (threads.getThreadCount() > threadsBefore + subscriptions / 2 + 40 && System.nanoTime() < until) {
            Thread.sleep(1000); // polling a counter in a measurement tool, not a test
          }
          System.out.printf("shared readers: %d threads %.1f s after all delivered%n", threads.getThreadCount(),
              (System.nanoTime() - startNanos) / 1e9);
          // one message to one topic: how long until each of its subscriptions has it (they wake from the shared reader)
          int got = receiver.deliveredMessages().size();
          long sentAt = System.nanoTime();
          kafka.produce(names.get(0), List.of(new ProducerRecord<>(names.get(0), "wake", "{\"wake\":true}".getBytes(StandardCharsets.UTF_8))));
          int waking = (subscriptions + topics - 1) / topics;
          List<Long> arrivals = new ArrayList<>();
          while (arrivals.size() < waking && System.nanoTime() - sentAt < Duration.ofMinutes(2).toNanos()) {
            int now = receiver.deliveredMessages().size();
            for (int k = got; k < now; k++) {
              arrivals.add(System.nanoTime() - sentAt);
            }
            got = now;
            Thread.sleep(20);
          }
          java.util.Collections.sort(arrivals);
          if (!arrivals.isEmpty()) {
            System.out.printf("wake: one message to %s reached %d of its %d parked subscriptions; median %.2f s, p99 %.2f s, last %.2f s%n",
                names.get(0), arrivals.size(), waking, arrivals.get(arrivals.size() / 2) / 1e9,
                arrivals.get(Math.min(arrivals.size() - 1, (int) Math.ceil(arrivals.size() * 0.99) - 1)) / 1e9,
                arrivals.get(arrivals.size() - 1) / 1e9);
          }
          // and back to the shared reader before measuring idle
          long until2 = System.nanoTime() + Duration.ofMinutes(5).toNanos();
          Thread.sleep((shareIdle + 3) * 1000L);
          while (threads.getThreadCount() > threadsBefore + subscriptions / 2 + 40 && System.nanoTime() < until2) {
            Thread.sleep(1000);
          }
        }
        long heapIdle = usedHeapAfterGc(memory);
        int threadsIdle = threads.getThreadCount();
        long cpu0 = os.getProcessCpuTime();
        Thread.sleep(idleSeconds * 1000L);
        long idleCpu = os.getProcessCpuTime() - cpu0;
        System.out.printf("idle: %d threads (%d before the engine), heap %.1f MiB after GC (%.1f MiB before), CPU %.1f%% of one core over %d s%n",
            threadsIdle, threadsBefore, heapIdle / 1048576.0, heapBefore / 1048576.0, 100.0 * idleCpu / (idleSeconds * 1e9), idleSeconds);
        System.out.printf("per idle subscription: %.2f threads, %.0f KiB heap, %.3f ms CPU per second%n",
            (threadsIdle - threadsBefore) / (double) subscriptions, (heapIdle - heapBefore) / 1024.0 / subscriptions,
            idleCpu / 1e6 / idleSeconds / subscriptions);

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
        System.out.printf("busy: %d deliveries (%d messages x %d subscriptions) in %.1f s, %d threads, heap %.1f MiB after GC, CPU %.1f s (%.1f ms per subscription, %.0f µs per delivered message)%n",
            (long) subscriptions * messages, messages, subscriptions, busySeconds, threads.getThreadCount(), usedHeapAfterGc(memory) / 1048576.0,
            busyCpu / 1e9, busyCpu / 1e6 / subscriptions, busyCpu / 1e3 / ((double) subscriptions * messages));
        System.out.printf("max heap (-Xmx): %.0f MiB%n", memory.getHeapMemoryUsage().getMax() / 1048576.0);
      }
    }
    return 0;
  }

  private static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
    System.gc();
    Thread.sleep(200);
    return memory.getHeapMemoryUsage().getUsed();
  }
}
