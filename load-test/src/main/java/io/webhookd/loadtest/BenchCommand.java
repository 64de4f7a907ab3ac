package io.webhookd.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.spi.SubscriptionStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end throughput (and latency) of webhookd against the naive relay, on the same broker,
 * topic and receiver in one run.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Throughput: a backlog of --count 1 KB JSON messages on a 3-partition topic, read by a plain consumer that",
      "sends nothing (the ceiling), drained by the naive relay (poll, POST, commitSync) and by webhookd (one",
      "subscription per --ordering), at each --batch-size; prints msg/s, each webhookd as a fraction of the ceiling",
      "and a multiple of the relay. Latency (--latency): produce at --rate for --duration and report",
      "produce->receive percentiles."
    })
final class BenchCommand implements Callable<Integer> {
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(names = "--count", defaultValue = "300000", description = "Backlog size (default ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--partitions", defaultValue = "3", description = "Partitions (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--payload-bytes", defaultValue = "1024", description = "Payload size (default ${DEFAULT-VALUE}).")
  int payloadBytes;

  @Option(names = "--batch-size", split = ",", defaultValue = "1,100,1000", description = "Batch sizes (default ${DEFAULT-VALUE}).")
  List<Integer> batchSizes;

  @Option(names = "--batch-interval", defaultValue = "100ms", converter = DurationConverter.class,
      description = "webhookd's max batch interval (default ${DEFAULT-VALUE}; the backlog fills batches anyway).")
  Duration batchInterval;

  @Option(names = "--max-seconds", defaultValue = "60", description = "Cap per measurement; the rate is then what arrived in that time (default ${DEFAULT-VALUE}).")
  int maxSeconds;

  @Option(names = "--repeat", defaultValue = "1", description = "Measurements per contender and batch size, alternating who goes first; the median is reported (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--warmup", defaultValue = "300000", description = "Messages each contender delivers at each batch size before that size is measured, not reported, within --max-seconds (default ${DEFAULT-VALUE}; 0 for none).")
  int warmup;

  @Option(names = "--bootstrap", description = "An external Kafka instead of an in-process one.")
  @Nullable String bootstrap;

  @Option(names = "--brokers", defaultValue = "1", description = "Brokers of the in-process cluster (default ${DEFAULT-VALUE}).")
  int brokers;

  @Option(names = "--kafka-jvm", description = "Run the in-process Kafka cluster in a JVM of its own.")
  boolean kafkaJvm;

  @Option(names = "--receiver-jvm", description = "Run the receiver in a JVM of its own (java -cp <this jar> io.webhookd.loadtest.ReceiverMain).")
  boolean receiverJvm;

  @Option(names = "--receiver-threads", defaultValue = "16", description = "Receiver threads (default ${DEFAULT-VALUE}).")
  int receiverThreads;

  @Option(names = "--latency", description = "Latency mode instead of throughput.")
  boolean latency;

  @Option(names = "--rate", defaultValue = "500", description = "Latency mode: messages per second (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class, description = "Latency mode: how long to produce (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup-seconds", defaultValue = "5", description = "Latency mode: seconds of produce time left out of the figures (default ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--transport", defaultValue = "apache", description = "webhookd's transport: apache (webhookd-http-apache, the server's default), jdk (webhookd-http-jdk) or, for comparison, standin (a minimal HTTP/1.1 sendAsync one) (default ${DEFAULT-VALUE}).")
  String transport;

  @Option(names = "--only", description = "Measure only this contender: webhookd, baseline or consumer (throughput: the ceiling, a plain consumer reading the backlog without sending; latency: the floor, a plain consumer that only polls).")
  @Nullable String only;

  @Option(names = "--ordering", split = ",", defaultValue = "partition", description = "webhookd's configuration.ordering, one contender each: partition, key, none (default ${DEFAULT-VALUE}).")
  List<String> orderings;

  @Option(names = "--max-in-flight", defaultValue = "16", description = "webhookd's configuration.max_in_flight (default ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--keys", defaultValue = "0", description = "Distinct message keys of the backlog: 0 for a key of its own per message (default ${DEFAULT-VALUE}), n for c-0 to c-(n-1).")
  int keys;

  @Option(names = "--jfr", description = "Record a JFR profile (settings 'profile') of this JVM while webhookd runs, write it here and print its top frames.")
  @Nullable Path jfr;

  @Option(names = "--out", description = "The JSON result file (default target/webhookd-load-test/bench-<time>.json).")
  @Nullable Path out;

  PrintStream console = System.out;
  private final String secret = io.webhookd.WebhookVerifier.newSecret();
  private int channelSeq;

  @Override
  public Integer call() throws Exception {
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(LocalDateTime.now());
    Transports.use(transport, List.of("apache", "jdk", "standin"));
    Path file = out != null ? out : Path.of("target", "webhookd-load-test", "bench-" + stamp + (latency ? "-latency" : "") + ".json");
    if (file.toAbsolutePath().getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("date", Instant.now().toString());
    res.put("cores", Runtime.getRuntime().availableProcessors());
    res.put("java", System.getProperty("java.version") + " " + System.getProperty("java.vm.name"));
    res.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
    res.put("transport", Transports.describe());
    res.put("load_average_before", loadAverage());
    Process kafkaProcess = null;
    String bs = bootstrap;
    Kafka kafka = null;
    try {
      if (bs == null && kafkaJvm) {
        kafkaProcess = startKafkaJvm();
        bs = bootstrapOf(kafkaProcess);
      }
      kafka = Kafka.start(bs, brokers);
      res.put("kafka", kafkaProcess != null ? "in-process KRaft cluster of " + brokers + " broker(s) in a separate JVM at " + bs : kafka.describe());
      try (ReceiverHandle receiver = receiverJvm ? ReceiverHandle.separateJvm(receiverThreads) : ReceiverHandle.inProcess(receiverThreads)) {
        res.put("receiver", receiver.describe());
        console.println("kafka: " + res.get("kafka"));
        console.println("receiver: " + receiver.describe());
        console.println("transport: " + Transports.describe());
        if (latency) {
          latencyMode(kafka, receiver, res);
        } else {
          throughputMode(kafka, receiver, res);
        }
      }
    } finally {
      if (kafka != null) {
        kafka.close();
      }
      if (kafkaProcess != null) {
        kafkaProcess.getOutputStream().close();
        if (!kafkaProcess.waitFor(20, TimeUnit.SECONDS)) {
          kafkaProcess.destroyForcibly();
        }
      }
    }
    res.put("load_average_after", loadAverage());
    console.println("load average before / after: " + res.get("load_average_before") + " / " + res.get("load_average_after"));
    MAPPER.writeValue(file.toFile(), res);
    console.println("result: " + file.toAbsolutePath());
    return 0;
  }

  private void throughputMode(Kafka kafka, ReceiverHandle receiver, Map<String, Object> res) throws Exception {
    List<io.webhookd.Ordering> modes = new ArrayList<>();
    for (String o : orderings) {
      io.webhookd.Ordering m = io.webhookd.Ordering.fromWireName(o.trim());
      if (m == null) {
        throw new IllegalArgumentException("--ordering must be partition, key or none, was " + o);
      }
      modes.add(m);
    }
    String topic = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(topic, partitions, Math.min(3, brokers));
    long t0 = System.nanoTime();
    produceBacklog(kafka, topic);
    double produceSecs = (System.nanoTime() - t0) / 1e9;
    console.printf(Locale.ROOT, "backlog: %d messages of %d bytes on %s (%d partitions, %s) in %.1f s%n", count, payloadBytes, topic, partitions,
        keys == 0 ? "distinct keys" : keys + " keys", produceSecs);
    res.put("backlog", Map.of("messages", count, "payload_bytes", payloadBytes, "partitions", partitions, "keys", keys == 0 ? "distinct" : keys,
        "produce_seconds", RunCommand.round(produceSecs)));
    res.put("max_in_flight", maxInFlight);
    res.put("warmup_messages_per_batch_size", warmup);
    // the contenders of each batch size: the ceiling (a plain consumer, no HTTP), the relay, webhookd in each mode
    List<String> contenders = new ArrayList<>();
    if (only == null || "consumer".equals(only)) {
      contenders.add("consumer");
    }
    if (only == null || "baseline".equals(only)) {
      contenders.add("baseline");
    }
    if (only == null || "webhookd".equals(only)) {
      for (io.webhookd.Ordering m : modes) {
        contenders.add("webhookd-" + m.wireName());
      }
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int b : batchSizes) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("batch_size", b);
      if (warmup > 0) {
        // Every contender shares this JVM and its JIT compiler: without a warm-up at the size
        // being measured, the first runs measure compilation (on 2 cores the compiler threads
        // took 30 to 70% of the JVM's CPU in them), which hurts whichever contender keeps the
        // cores busy.
        console.printf(Locale.ROOT, "warm-up at batch %d: up to %d messages each (not reported)%n", b, warmup);
        for (String c : contenders) {
          if (!c.equals("consumer")) {
            measure("warmup-" + c, b, warmup, kafka, receiver, topic);
          }
        }
      }
      Recording rec = null;
      if (jfr != null) {
        rec = new Recording(Configuration.getConfiguration("profile"));
        rec.setName("webhookd-bench-" + b);
        rec.start();
      }
      Map<String, List<Map<String, Object>>> runs = new LinkedHashMap<>();
      contenders.forEach(c -> runs.put(c, new ArrayList<>()));
      for (int rep = 0; rep < repeat; rep++) {
        // rotate who goes first, so that no contender always gets the warmer or the quieter slot
        for (int k = 0; k < contenders.size(); k++) {
          String c = contenders.get((k + rep) % contenders.size());
          runs.get(c).add(measure(c, b, count, kafka, receiver, topic));
        }
      }
      if (rec != null) {
        rec.stop();
        Path f = batchSizes.size() == 1 ? jfr : jfr.resolveSibling(stripJfr(jfr.getFileName().toString()) + "-batch" + b + ".jfr");
        rec.dump(f);
        rec.close();
        row.put("jfr", f.toString());
      }
      Map<String, Object> ceiling = median(runs.getOrDefault("consumer", List.of()));
      Map<String, Object> base = median(runs.getOrDefault("baseline", List.of()));
      row.put("consumer", ceiling);
      row.put("baseline", base);
      Map<String, Object> whs = new LinkedHashMap<>();
      for (String c : contenders) {
        if (!c.startsWith("webhookd-")) {
          continue;
        }
        Map<String, Object> wh = median(runs.get(c));
        if (wh == null) {
          continue;
        }
        double rate = ((Number) wh.get("rate_msg_s")).doubleValue();
        if (ceiling != null) {
          wh.put("of_ceiling", Math.round(rate / Math.max(1, ((Number) ceiling.get("rate_msg_s")).doubleValue()) * 100) / 100.0);
        }
        if (base != null) {
          wh.put("x_relay", Math.round(rate / Math.max(1, ((Number) base.get("rate_msg_s")).doubleValue()) * 100) / 100.0);
        }
        whs.put(c.substring("webhookd-".length()), wh);
      }
      row.put("webhookd", whs);
      Map<String, Object> allRuns = new LinkedHashMap<>();
      runs.forEach((c, l) -> allRuns.put(c, l.stream().map(m -> m.get("rate_msg_s")).toList()));
      row.put("runs_msg_s", allRuns);
      rows.add(row);
    }
    res.put("throughput", rows);
    console.println();
    console.println("| batch | contender | msg/s | of the ceiling | x the relay | runs msg/s |");
    console.println("|---:|---|---:|---:|---:|---|");
    for (Map<String, Object> r : rows) {
      @SuppressWarnings("unchecked")
      Map<String, Object> allRuns = (Map<String, Object>) r.get("runs_msg_s");
      console.printf(Locale.ROOT, "| %s | consumer only (ceiling) | %s | 1.00 | | %s |%n", r.get("batch_size"), rateOf(r.get("consumer")), allRuns.get("consumer"));
      console.printf(Locale.ROOT, "| %s | naive relay | %s | | 1.00 | %s |%n", r.get("batch_size"), rateOf(r.get("baseline")), allRuns.get("baseline"));
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> whs = (Map<String, Map<String, Object>>) r.get("webhookd");
      whs.forEach((mode, wh) -> console.printf(Locale.ROOT, "| %s | webhookd, ordering %s | %s | %s | %s | %s |%n", r.get("batch_size"), mode, rateOf(wh),
          wh.getOrDefault("of_ceiling", "-"), wh.getOrDefault("x_relay", "-"), allRuns.get("webhookd-" + mode)));
    }
    for (Map<String, Object> r : rows) {
      if (r.get("jfr") != null) {
        Path f = Path.of((String) r.get("jfr"));
        String summary = JfrSummary.summarize(f, 25, "webhookd");
        Files.writeString(Path.of(f + ".txt"), summary);
        console.println("\nJFR " + f + " (batch " + r.get("batch_size") + "):\n" + summary);
      }
    }
  }

  /** The measurement with the median rate (the lower middle one for an even count). */
  private static @Nullable Map<String, Object> median(List<Map<String, Object>> runs) {
    if (runs.isEmpty()) {
      return null;
    }
    List<Map<String, Object>> sorted = new ArrayList<>(runs);
    sorted.sort((a, b) -> Long.compare(((Number) a.get("rate_msg_s")).longValue(), ((Number) b.get("rate_msg_s")).longValue()));
    return sorted.get((sorted.size() - 1) / 2);
  }

  private static String stripJfr(String n) {
    return n.endsWith(".jfr") ? n.substring(0, n.length() - 4) : n;
  }

  @SuppressWarnings("unchecked")
  private static String rateOf(Object m) {
    if (m == null) {
      return "-";
    }
    Map<String, Object> x = (Map<String, Object>) m;
    return String.format(Locale.ROOT, "%,.0f%s", ((Number) x.get("rate_msg_s")).doubleValue(), Boolean.TRUE.equals(x.get("capped")) ? " (capped)" : "");
  }

  /** Drains up to {@code target} messages of the topic with one contender; the rate is unique messages over the time from start to the last. */
  private Map<String, Object> measure(String name, int batch, int target, Kafka kafka, ReceiverHandle receiver, String topic) throws Exception {
    String contender = name.startsWith("warmup-") ? name.substring("warmup-".length()) : name;
    if (contender.equals("consumer")) {
      return consumeOnly(kafka, topic, target, name);
    }
    boolean webhookd = contender.startsWith("webhookd");
    io.webhookd.Ordering ordering =
        contender.startsWith("webhookd-") ? io.webhookd.Ordering.fromWireName(contender.substring("webhookd-".length())) : io.webhookd.Ordering.PARTITION;
    String channel = name + "-" + batch + "-" + (++channelSeq);
    URI url = receiver.channel(channel, secret, 0);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Webhookd engine = null;
    Thread relay = null;
    long[] cpu0 = CpuTimes.read();
    long start = System.currentTimeMillis();
    if (webhookd) {
      engine = Engines.start(kafka.bootstrap(), SubscriptionStore.inMemory());
      engine.subscribe(SubscriptionSpec.builder()
          .name("bench " + channel)
          .webhookUrl(url.toString())
          .signingSecret(secret)
          .source(topic)
          .maxBatchSize(batch)
          .maxBatchInterval(batchInterval)
          .ordering(ordering)
          .maxInFlight(maxInFlight)
          .maxRetries(3)
          .build());
    } else {
      relay = new Thread(() -> {
        try {
          NaiveRelay.run(kafka.bootstrap(), topic, "naive-" + channel + "-" + UUID.randomUUID(), batch, url, secret, stop::get);
        } catch (Throwable t) {
          failure.set(t);
        }
      }, "naive-relay");
      relay.start();
    }
    long capAt = start + maxSeconds * 1000L;
    JsonNode s = receiver.stats(channel);
    long lastPrint = start;
    while (s.get("unique").asLong() < target && System.currentTimeMillis() < capAt && failure.get() == null) {
      Thread.sleep(100);
      s = receiver.stats(channel);
      if (System.currentTimeMillis() - lastPrint >= 5000) {
        lastPrint = System.currentTimeMillis();
        console.printf(Locale.ROOT, "  %s batch %d: %d/%d after %.0f s%n", name, batch, s.get("unique").asLong(), target, (lastPrint - start) / 1000.0);
      }
    }
    boolean capped = s.get("unique").asLong() < target;
    long[] cpu1 = CpuTimes.read();
    stop.set(true);
    if (engine != null) {
      engine.close();
    }
    if (relay != null) {
      relay.join(30_000);
    }
    if (failure.get() != null) {
      throw new IllegalStateException(name + " failed", failure.get());
    }
    s = receiver.stats(channel);
    long unique = Math.min(s.get("unique").asLong(), target);
    long last = s.get("last_new_ms").asLong();
    long first = s.get("first_ms").asLong();
    double secs = Math.max(0.001, ((capped ? capAt : last) - start) / 1000.0);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("messages", unique);
    m.put("seconds", Math.round(secs * 100) / 100.0);
    m.put("rate_msg_s", Math.round(unique / secs));
    m.put("rate_after_first_delivery_msg_s", first > 0 && last > first ? Math.round(unique * 1000.0 / (last - first)) : null);
    m.put("first_delivery_after_ms", first > 0 ? first - start : null);
    m.put("requests", s.get("accepted_requests").asLong());
    m.put("duplicates", s.get("duplicates").asLong());
    m.put("bad_signature", s.get("bad_signature").asLong());
    m.put("capped", capped);
    Map<String, Object> cpu = CpuTimes.perMessage(cpu0, cpu1, unique);
    m.put("cpu_us_per_msg", cpu);
    if (!name.startsWith("warmup")) {
      console.printf(Locale.ROOT, "%-18s batch %4d: %,8d msgs in %6.2f s = %,8.0f msg/s%s (first delivery after %s ms, %d requests, %d dup, %d bad sig; CPU us/msg %s)%n",
          name, batch, unique, secs, unique / secs, capped ? " CAPPED" : "", m.get("first_delivery_after_ms"), m.get("requests"),
          m.get("duplicates"), m.get("bad_signature"), cpu);
    }
    return m;
  }

  private void produceBacklog(Kafka kafka, String topic) throws Exception {
    SplittableRandom rnd = new SplittableRandom(7);
    AtomicLong failed = new AtomicLong();
    try (KafkaProducer<String, byte[]> p = kafka.producer(20)) {
      for (int i = 0; i < count; i++) {
        int customer = rnd.nextInt(1000);
        byte[] payload = Payloads.payload(i, Payloads.REGIONS[rnd.nextInt(4)], rnd.nextInt(500), customer, payloadBytes, rnd);
        String key = keys == 0 ? "k-" + i : "c-" + (i % keys);
        p.send(new ProducerRecord<>(topic, key, payload), (md, e) -> {
          if (e != null) {
            failed.incrementAndGet();
          }
        });
      }
      p.flush();
    }
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " backlog messages could not be produced");
    }
  }

  /** A consumer in a new group from the earliest offset, committing nothing: the plain reader of the comparisons. */
  private static KafkaConsumer<byte[], byte[]> plainConsumer(Kafka kafka, String groupPrefix) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupPrefix + UUID.randomUUID());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * The ceiling: one plain consumer (Kafka's defaults, a new group from the earliest offset) reads
   * {@code target} messages of the backlog and sends nothing; timed as the others are, from the
   * start to the last message.
   */
  private Map<String, Object> consumeOnly(Kafka kafka, String topic, int target, String name) {
    long n = 0;
    long[] cpu0 = CpuTimes.read();
    long start = System.nanoTime();
    long last = start;
    long cap = start + TimeUnit.SECONDS.toNanos(maxSeconds);
    try (KafkaConsumer<byte[], byte[]> c = plainConsumer(kafka, "consume-only-")) {
      c.subscribe(List.of(topic));
      while (n < target && System.nanoTime() < cap) {
        ConsumerRecords<byte[], byte[]> r = c.poll(Duration.ofMillis(200));
        if (!r.isEmpty()) {
          n += r.count();
          last = System.nanoTime();
        }
      }
    }
    long[] cpu1 = CpuTimes.read();
    boolean capped = n < target;
    n = Math.min(n, target);
    double secs = Math.max(0.001, ((capped ? cap : last) - start) / 1e9);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("messages", n);
    m.put("seconds", Math.round(secs * 100) / 100.0);
    m.put("rate_msg_s", Math.round(n / secs));
    m.put("capped", capped);
    m.put("cpu_us_per_msg", CpuTimes.perMessage(cpu0, cpu1, n));
    if (!name.startsWith("warmup")) {
      console.printf(Locale.ROOT, "%-18s           : %,8d msgs in %6.2f s = %,8.0f msg/s%s (poll only, no HTTP)%n", name, n, secs, n / secs, capped ? " CAPPED" : "");
    }
    return m;
  }

  /**
   * The latency floor of this setup: one plain consumer that only polls, recording poll-return
   * time minus record timestamp for records produced at or after {@code from}.
   */
  private static void consumeForLatency(
      Kafka kafka, String topic, AtomicBoolean stop, LatencyHistogram hist, AtomicLong seen, AtomicLong from) {
    try (KafkaConsumer<byte[], byte[]> c = plainConsumer(kafka, "latency-floor-")) {
      c.subscribe(List.of(topic));
      while (!stop.get()) {
        ConsumerRecords<byte[], byte[]> r = c.poll(Duration.ofMillis(200));
        long now = System.currentTimeMillis();
        long f = from.get();
        for (var rec : r) {
          if (rec.timestamp() >= f) {
            hist.record(now - rec.timestamp());
          }
        }
        seen.addAndGet(r.count());
      }
    }
  }

  private void latencyMode(Kafka kafka, ReceiverHandle receiver, Map<String, Object> res) throws Exception {
    int b = batchSizes.get(0);
    res.put("latency_setup", Map.of("rate_msg_s", rate, "duration", Durations.format(duration), "batch_size", b,
        "warmup_seconds_excluded", warmupSeconds, "batch_interval", Durations.format(batchInterval)));
    List<String> contenders = new ArrayList<>();
    if (only == null || only.equals("webhookd")) {
      contenders.add("webhookd");
    }
    if (only == null || only.equals("baseline")) {
      contenders.add("baseline");
    }
    if (only == null || only.equals("consumer")) {
      contenders.add("consumer");
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    for (String name : contenders) {
      String topic = "latency-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
      kafka.createTopic(topic, partitions, Math.min(3, brokers));
      String channel = "lat-" + name + "-" + (++channelSeq);
      AtomicBoolean stop = new AtomicBoolean();
      Webhookd engine = null;
      Thread relay = null;
      URI url = receiver.channel(channel, secret, Long.MAX_VALUE);
      // the consumer-only floor: what produce -> poll costs here, without HTTP or a receiver
      LatencyHistogram floor = new LatencyHistogram();
      AtomicLong floorSeen = new AtomicLong();
      AtomicLong floorFrom = new AtomicLong(Long.MAX_VALUE);
      if (name.equals("webhookd")) {
        engine = Engines.start(kafka.bootstrap(), SubscriptionStore.inMemory());
        engine.subscribe(SubscriptionSpec.builder().name("latency " + channel).webhookUrl(url.toString()).signingSecret(secret)
            .source(topic).maxBatchSize(b).maxBatchInterval(batchInterval)
            .ordering(io.webhookd.Ordering.fromWireName(orderings.get(0).trim())).maxInFlight(maxInFlight).build());
      } else if (name.equals("baseline")) {
        relay = new Thread(() -> {
          try {
            NaiveRelay.run(kafka.bootstrap(), topic, "naive-" + channel, b, url, secret, stop::get);
          } catch (Exception e) {
            e.printStackTrace();
          }
        }, "naive-relay");
        relay.start();
      } else {
        relay = new Thread(() -> consumeForLatency(kafka, topic, stop, floor, floorSeen, floorFrom), "consumer-floor");
        relay.start();
      }
      boolean viaReceiver = !name.equals("consumer");
      java.util.function.LongSupplier delivered = () -> {
        try {
          return viaReceiver ? receiver.stats(channel).get("unique").asLong() : floorSeen.get();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      };
      int n = (int) Math.round(rate * duration.toMillis() / 1000.0);
      SplittableRandom rnd = new SplittableRandom(11);
      int probes = 0;
      try (KafkaProducer<String, byte[]> p = kafka.producer(0)) {
        // probes until the contender delivers (group joined, offsets topic there), so that
        // neither contender's figures include the start-up of its consumer
        long readyBy = System.currentTimeMillis() + 60_000;
        while (delivered.getAsLong() == 0 && System.currentTimeMillis() < readyBy) {
          p.send(new ProducerRecord<>(topic, "probe", Payloads.payload(n + probes, "eu", 0, 0, payloadBytes, rnd)));
          probes++;
          Thread.sleep(100);
        }
        long measuredFrom = System.currentTimeMillis() + warmupSeconds * 1000L;
        receiver.latencyFrom(channel, measuredFrom);
        floorFrom.set(measuredFrom);
        console.printf(Locale.ROOT, "%s: ready after %d probe(s); producing %d messages at %.0f msg/s%n", name, probes, n, rate);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          long due = t0 + (long) (i * 1e9 / rate);
          long w = due - System.nanoTime();
          if (w > 0) {
            LockSupport.parkNanos(w);
          }
          int customer = rnd.nextInt(1000);
          p.send(new ProducerRecord<>(topic, "c-" + customer, Payloads.payload(i, "eu", rnd.nextInt(500), customer, payloadBytes, rnd)));
        }
        p.flush();
      }
      n += probes;
      long until = System.currentTimeMillis() + 60_000;
      while (delivered.getAsLong() < n && System.currentTimeMillis() < until) {
        Thread.sleep(100);
      }
      stop.set(true);
      if (engine != null) {
        engine.close();
      }
      if (relay != null) {
        relay.join(30_000);
      }
      Map<String, Object> f;
      if (viaReceiver) {
        JsonNode s = receiver.stats(channel);
        f = MAPPER.convertValue(s.get("latency"), Map.class);
        f.put("delivered_unique", s.get("unique").asLong());
        f.put("requests", s.get("accepted_requests").asLong());
      } else {
        f = new LinkedHashMap<>(floor.summary());
        f.put("consumed", floorSeen.get());
      }
      f.put("produced", n);
      figures.put(name, f);
      console.printf(Locale.ROOT, "%-9s batch %d at %.0f msg/s: %s%n", name, b, rate, f);
    }
    res.put("latency", figures);
  }

  /** The 1, 5 and 15 minute load averages (the machine is shared; figures under load are lower). */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "unknown";
    }
  }

  private Process startKafkaJvm() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"), "io.webhookd.loadtest.KafkaMain",
        "--brokers", Integer.toString(brokers)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** Reads a KafkaMain JVM's {@code BOOTSTRAP host:port} line, then drains its output in the background. */
  static String bootstrapOf(Process p) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = r.readLine()) != null) {
      if (line.startsWith("BOOTSTRAP ")) {
        // keep draining its output, so that a full pipe never stalls the Kafka JVM
        Thread drain = new Thread(() -> {
          try {
            while (r.readLine() != null) {
              // discard
            }
          } catch (java.io.IOException ignored) {
            // the JVM ended
          }
        }, "kafka-jvm-stdout");
        drain.setDaemon(true);
        drain.start();
        return line.substring("BOOTSTRAP ".length()).trim();
      }
    }
    throw new IllegalStateException("the Kafka JVM ended without printing its bootstrap servers");
  }
}
