package io.webhookd.loadtest;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.internal.Engine;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The load test: publish a load (a CSV or a rate and count), let webhookd deliver it to a
 * verifying receiver while faults happen, and compare what arrived with what should have.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Publishes a load to Kafka, has webhookd deliver it to a receiver on 127.0.0.1 that verifies every",
      "signature and records every message in SQLite, injects faults, and compares produced, expected,",
      "delivered, missing and duplicate messages and produce->receive latency. Exit status 1 when a message",
      "is missing or unexpected or a signature is bad."
    })
final class RunCommand implements Callable<Integer> {
  @Option(names = "--csv", description = "The load, from `generate` (topic,key,payload,offset_ms).")
  @Nullable Path csv;

  @Option(names = "--rate", description = "Messages per second when no --csv (default ${DEFAULT-VALUE}).", defaultValue = "500")
  double rate;

  @Option(names = "--count", description = "Messages when no --csv (default ${DEFAULT-VALUE}).", defaultValue = "10000")
  int count;

  @Option(names = "--topics", description = "Topics when no --csv (default ${DEFAULT-VALUE}).", defaultValue = "1")
  int topics;

  @Option(names = "--payload-bytes", description = "Payload size when no --csv (default ${DEFAULT-VALUE}).", defaultValue = "1024")
  int payloadBytes;

  @Option(names = "--seed", description = "Random seed when no --csv (default ${DEFAULT-VALUE}).", defaultValue = "42")
  long seed;

  @Option(names = "--partitions", description = "Partitions per topic (default ${DEFAULT-VALUE}).", defaultValue = "3")
  int partitions;

  @Option(names = "--bootstrap", description = "An external Kafka cluster instead of the in-process one.")
  @Nullable String bootstrap;

  @Option(names = "--brokers", description = "Brokers of the in-process cluster (default ${DEFAULT-VALUE}; replication factor min(brokers,3)).", defaultValue = "3")
  int brokers;

  @Option(names = "--replication-factor", description = "Replication factor of topics on an external cluster (default ${DEFAULT-VALUE}).", defaultValue = "3")
  int replicationFactor;

  @Option(names = "--server", description = "A running webhookd server (e.g. http://127.0.0.1:8080): the subscription is made through its REST API; needs --bootstrap (the server's Kafka) and --api-key.")
  @Nullable URI server;

  @Option(names = "--api-key", description = "Admin API key of --server.")
  @Nullable String apiKey;

  @Option(names = "--filter", description = "A JMESPath filter of the subscription (repeatable, ANDed), of the form value.<seq|region|amount> <op> <literal>, e.g. \"value.region == 'eu'\".")
  List<String> filters = new ArrayList<>();

  @Option(names = "--batch-size", description = "max_batch_size (default ${DEFAULT-VALUE}).", defaultValue = "100")
  int batchSize;

  @Option(names = "--batch-interval", description = "Batch interval (default ${DEFAULT-VALUE}).", defaultValue = "500ms", converter = DurationConverter.class)
  Duration batchInterval;

  @Option(names = "--ordering", description = "configuration.ordering: partition, key or none (default ${DEFAULT-VALUE}).", defaultValue = "partition")
  String ordering;

  @Option(names = "--max-in-flight", description = "configuration.max_in_flight, 1 to 64 (default ${DEFAULT-VALUE}).", defaultValue = "16")
  int maxInFlight;

  @Option(names = "--max-retries", description = "max_retries (default ${DEFAULT-VALUE}).", defaultValue = "3")
  int maxRetries;

  @Option(names = "--on-exhausted", description = "on_exhausted: keep_retrying or dead_letter (default ${DEFAULT-VALUE}; http-400 needs dead_letter).", defaultValue = "keep_retrying")
  String onExhausted;

  @Option(names = "--retry-initial", description = "First retry delay (default ${DEFAULT-VALUE}).", defaultValue = "250ms", converter = DurationConverter.class)
  Duration retryInitial;

  @Option(names = "--retry-max", description = "Longest retry delay (default ${DEFAULT-VALUE}).", defaultValue = "5s", converter = DurationConverter.class)
  Duration retryMax;

  @Option(names = "--fault", description = "A fault, repeatable: broker-restart, kafka-scale, engine-crash, http-5xx:<fraction>, http-5xx-window:<duration>, slow:<duration>, 429:<retry-after seconds>.")
  List<String> faultSpecs = new ArrayList<>();

  @Option(names = "--deadline", description = "How long to wait for the last messages after publishing ends (default ${DEFAULT-VALUE}).", defaultValue = "2m", converter = DurationConverter.class)
  Duration deadline;

  @Option(names = "--out", description = "Directory for result.json, report.html and deliveries.db (default target/webhookd-load-test/<run id>).")
  @Nullable Path out;

  @Option(names = "--receiver-threads", description = "Receiver thread pool size (default ${DEFAULT-VALUE}).", defaultValue = "32")
  int receiverThreads;

  @Option(names = "--steady-after", description = "latency_steady leaves out messages produced in the first part of the run, while consumers join (default ${DEFAULT-VALUE}).", defaultValue = "10s", converter = DurationConverter.class)
  Duration steadyAfter;

  @Option(names = "--no-sqlite", description = "Do not record deliveries in SQLite.")
  boolean noSqlite;

  PrintStream console = System.out;

  /** The figures of the last call, for tests. */
  @Nullable Map<String, Object> result;

  private final List<Map<String, Object>> events = Collections.synchronizedList(new ArrayList<>());
  /** What kafka-scale did and how long each step took (result.json's kafka_scale). */
  private final Map<String, Object> scaleFigures = Collections.synchronizedMap(new LinkedHashMap<>());
  /** Taken by each step of broker-restart and kafka-scale, so that the broker faults never overlap. */
  private final ReentrantLock brokerFaults = new ReentrantLock();
  private long startMs;

  @Override
  public Integer call() throws Exception {
    String runId = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(LocalDateTime.now()) + "-" + UUID.randomUUID().toString().substring(0, 4);
    List<Fault> faults = faultSpecs.stream().map(Fault::parse).toList();
    orderingOption();
    if (maxInFlight < 1 || maxInFlight > io.webhookd.SubscriptionSpec.Delivery.MAX) {
      throw new IllegalArgumentException("--max-in-flight must be between 1 and 64, was " + maxInFlight);
    }
    if (server != null && (bootstrap == null || apiKey == null)) {
      throw new IllegalArgumentException("--server needs --bootstrap (the Kafka the server consumes from) and --api-key");
    }
    for (Fault f : faults) {
      if ((f.kind() == Fault.Kind.BROKER_RESTART || f.kind() == Fault.Kind.KAFKA_SCALE) && bootstrap != null) {
        throw new IllegalArgumentException(f.kind().label + " needs the in-process cluster (no --bootstrap)");
      }
      if (f.kind() == Fault.Kind.HTTP_400 && (server != null || !onExhausted.equals("dead_letter"))) {
        throw new IllegalArgumentException("http-400 needs --on-exhausted dead_letter (the poison messages are never accepted)"
            + " and the in-process engine (no --server), whose dead letters the report counts");
      }
      if (f.kind() == Fault.Kind.ENGINE_CRASH && server != null) {
        throw new IllegalArgumentException("engine-crash needs the in-process engine (no --server); restart the server by hand instead");
      }
    }
    ExpectedFilter expectation = ExpectedFilter.of(filters);

    // the load, with topic names unique to this run (an external cluster keeps old topics)
    List<Payloads.Row> load = csv != null
        ? Csv.read(csv)
        : Payloads.generate(count, topics, Math.round(count * 1000.0 / rate), payloadBytes, seed, "loadtest");
    String suffix = runId.substring(runId.length() - 4);
    List<Payloads.Row> rows = new ArrayList<>(load.size());
    Set<String> topicNames = new LinkedHashSet<>();
    int maxSeq = 0;
    for (Payloads.Row r : load) {
      String t = r.topic() + "-" + suffix;
      topicNames.add(t);
      rows.add(new Payloads.Row(r.seq(), t, r.key(), r.payload(), r.offsetMs()));
      maxSeq = Math.max(maxSeq, r.seq());
    }
    long publishMs = rows.isEmpty() ? 0 : rows.get(rows.size() - 1).offsetMs();
    BitSet passes = new BitSet(maxSeq + 1);
    for (Payloads.Row r : rows) {
      if (expectation.test(Payloads.fields(r.payload()))) {
        passes.set(r.seq());
      }
    }

    Path dir = out != null ? out : Path.of("target", "webhookd-load-test", runId);
    Files.createDirectories(dir);
    console.printf("run %s: %d messages on %d topic(s) over %.1f s, faults %s, results in %s%n",
        runId, rows.size(), topicNames.size(), publishMs / 1000.0, faults, dir.toAbsolutePath());

    Map<String, Object> setup = new LinkedHashMap<>();
    setup.put("run_id", runId);
    setup.put("messages", rows.size());
    setup.put("topics", new ArrayList<>(topicNames));
    setup.put("partitions", partitions);
    setup.put("publish_duration_ms", publishMs);
    setup.put("csv", csv == null ? "generated: --rate " + rate + " --count " + count : csv.toString());
    setup.put("filters", filters);
    setup.put("batch_size", batchSize);
    setup.put("ordering", ordering);
    setup.put("max_in_flight", maxInFlight);
    setup.put("batch_interval", Durations.format(batchInterval));
    setup.put("retry", maxRetries + " retries, " + Durations.format(retryInitial) + " .. " + Durations.format(retryMax)
        + ", on exhausted: " + onExhausted);
    if (io.webhookd.OnExhausted.fromWireName(onExhausted) == null) {
      throw new IllegalArgumentException("--on-exhausted must be keep_retrying or dead_letter, was " + onExhausted);
    }
    setup.put("faults", faults.stream().map(Fault::toString).toList());
    setup.put("cores", Runtime.getRuntime().availableProcessors());
    setup.put("java", System.getProperty("java.version"));
    setup.put("load_average_before", BenchCommand.loadAverage());

    Map<String, Object> counts;
    Map<String, Object> sqlCheck;
    long[][] firsts;
    Map<String, Object> receiverStats;
    Map<String, Object> faultCounts;
    long lastDeliveryMs;
    long publishEndMs;
    // kafka-scale adds a broker to the running cluster: a spare, stopped until then
    int spareBrokers = faults.stream().anyMatch(f -> f.kind() == Fault.Kind.KAFKA_SCALE) ? 1 : 0;
    try (Kafka kafka = Kafka.start(bootstrap, brokers, spareBrokers)) {
      setup.put("kafka", kafka.describe());
      for (String t : topicNames) {
        kafka.createTopic(t, partitions, replicationFactor);
      }
      HttpFaults httpFaults = new HttpFaults();
      try (Recorder recorder = new Recorder(maxSeq + 1, passes, noSqlite ? null : dir.resolve("deliveries.db"));
          Receiver receiver = Receiver.start(0, receiverThreads, httpFaults)) {
        String secret = io.webhookd.WebhookVerifier.newSecret();
        Channel channel = receiver.channel("run", secret, recorder);
        SubscriptionSpec.Builder sb = SubscriptionSpec.builder()
            .name("load-test " + runId)
            .webhookUrl(receiver.url("run").toString())
            .signingSecret(secret)
            .maxBatchSize(batchSize)
            .maxBatchInterval(batchInterval)
            .ordering(orderingOption())
            .maxInFlight(maxInFlight)
            .maxRetries(maxRetries)
            .retryInitialDelay(retryInitial)
            .retryMaxDelay(retryMax)
            .onExhausted(io.webhookd.OnExhausted.fromWireName(onExhausted));
        for (String t : topicNames) {
          sb.source(t, filters);
        }
        SubscriptionSpec spec = sb.build();
        AtomicReference<Engine> engine = new AtomicReference<>();
        SubscriptionStore store = SubscriptionStore.inMemory();
        ServerClient client = server == null ? null : new ServerClient(server, apiKey);
        String subscriptionId;
        String groupId = null;
        if (client != null) {
          subscriptionId = client.create(spec);
          setup.put("webhookd", "server at " + server + " (subscription made with POST /1/Subscription)");
        } else {
          engine.set(Engines.startCrashable(kafka.bootstrap(), store));
          Subscription subscription = engine.get().subscribe(spec, null);
          subscriptionId = subscription.id();
          groupId = subscription.groupId();
          setup.put("webhookd", "in-process engine, transport: " + Transports.describe());
        }
        String group = groupId;
        setup.put("subscription_id", subscriptionId);
        setup.put("receiver", "JDK HttpServer on 127.0.0.1:" + receiver.port() + ", " + receiverThreads + " threads, Standard Webhooks signatures verified");

        startMs = System.currentTimeMillis();
        event("publishing starts");
        ExecutorService faultPool = Executors.newCachedThreadPool(r -> {
          Thread t = new Thread(r, "fault");
          t.setDaemon(true);
          return t;
        });
        List<java.util.concurrent.Future<?>> faultRuns = new ArrayList<>();
        for (Fault f : faults) {
          faultRuns.add(faultPool.submit(() -> {
            runFault(f, publishMs, kafka, httpFaults, engine, store, topicNames, group);
            return null;
          }));
        }
        long[] lastDelivered = {0, System.nanoTime()};
        Progress progress = new Progress(console, () -> {
          long d = recorder.deliveredExpected();
          long now = System.nanoTime();
          double r = (d - lastDelivered[0]) * 1e9 / Math.max(1, now - lastDelivered[1]);
          lastDelivered[0] = d;
          lastDelivered[1] = now;
          return String.format(Locale.ROOT, "[%5.1fs] produced %d/%d | delivered %d | missing %d | %.0f msg/s | dup %d",
              (System.currentTimeMillis() - startMs) / 1000.0, recorder.producedCount(), rows.size(), d,
              recorder.expectedProduced() - d, r, channel.messages.get() - channel.unique());
        }, 5);
        try {
          publish(kafka, rows, recorder);
          publishEndMs = System.currentTimeMillis();
          event("publishing ends");
          long until = System.currentTimeMillis() + deadline.toMillis();
          long nextDeadLetterRead = 0;
          while (System.currentTimeMillis() < until
              && (recorder.settled() < recorder.expectedProduced() || faultRuns.stream().anyMatch(x -> !x.isDone()))) {
            if (client == null && System.currentTimeMillis() >= nextDeadLetterRead) {
              readDeadLetters(store, subscriptionId, recorder);
              nextDeadLetterRead = System.currentTimeMillis() + 1000;
            }
            Thread.sleep(100);
          }
          if (client == null && store.supportsDeadLetters()) {
            // the messages of a dead-lettered batch are tried again one by one in the background:
            // wait until the dead letters stop changing (2 s), within the deadline
            int last = -1;
            long stableSince = System.currentTimeMillis();
            while (System.currentTimeMillis() < until && System.currentTimeMillis() - stableSince < 2000) {
              readDeadLetters(store, subscriptionId, recorder);
              int n = recorder.deadLetterCount();
              if (n != last) {
                last = n;
                stableSince = System.currentTimeMillis();
              }
              Thread.sleep(250);
            }
          }
          Thread.sleep(1000); // late duplicates
        } finally {
          progress.close();
        }
        for (java.util.concurrent.Future<?> fr : faultRuns) {
          try {
            fr.get(1, TimeUnit.SECONDS);
          } catch (Exception e) {
            event("fault failed: " + e.getCause());
          }
        }
        faultPool.shutdownNow();
        lastDeliveryMs = channel.lastNewMs();
        if (client == null) {
          readDeadLetters(store, subscriptionId, recorder);
        }
        if (client != null) {
          client.delete(subscriptionId);
        } else if (engine.get() != null) {
          engine.get().close();
        }
        event("webhookd stopped");
        recorder.flush();
        counts = recorder.counts();
        sqlCheck = recorder.sqlCheck();
        firsts = recorder.firstDeliveries();
        receiverStats = channel.stats();
        receiverStats.remove("latency");
        faultCounts = httpFaults.counts();
      }
    }

    LatencyHistogram h = new LatencyHistogram();
    for (long[] f : firsts) {
      h.record(f[1]);
    }
    Map<String, Object> latency = h.summary();
    LatencyHistogram steady = new LatencyHistogram();
    for (long[] f : firsts) {
      if (f[0] - f[1] >= startMs + steadyAfter.toMillis()) {
        steady.record(f[1]);
      }
    }
    Map<String, Object> latencySteady = steady.summary();
    latencySteady.put("produced_after_ms", steadyAfter.toMillis());
    Map<String, Object> throughput = new LinkedHashMap<>();
    long delivered = ((Number) counts.get("delivered_unique")).longValue();
    throughput.put("publish_rate_msg_s", round(rows.size() * 1000.0 / Math.max(1, publishEndMs - startMs)));
    throughput.put("delivery_rate_msg_s", round(delivered * 1000.0 / Math.max(1, lastDeliveryMs - startMs)));
    throughput.put("last_delivery_after_publish_end_ms", lastDeliveryMs - publishEndMs);

    long missing = ((Number) counts.get("missing")).longValue();
    long unexpected = ((Number) counts.get("unexpected")).longValue();
    long badSig = ((Number) receiverStats.get("bad_signature")).longValue();
    long badBody = ((Number) receiverStats.get("bad_body")).longValue();
    boolean passed = missing == 0 && unexpected == 0 && badSig == 0 && badBody == 0;
    String verdict = passed
        ? "every expected message arrived (" + delivered + ")"
            + (((Number) counts.get("dead_lettered")).longValue() == 0 ? ""
                : " or is in the dead letters (" + counts.get("dead_lettered") + "): expected " + counts.get("expected")
                    + " = delivered " + delivered + " + dead-lettered " + counts.get("dead_lettered"))
            + ", " + counts.get("duplicates") + " duplicates"
        : "PROBLEMS: missing " + missing + ", unexpected " + unexpected + ", bad signatures " + badSig + ", bad bodies " + badBody;

    Map<String, Object> res = new LinkedHashMap<>();
    res.put("run_id", runId);
    res.put("date", Instant.ofEpochMilli(startMs).toString());
    res.put("passed", passed);
    res.put("verdict", verdict);
    res.put("counts", counts);
    res.put("latency", latency);
    res.put("latency_steady", latencySteady);
    res.put("throughput", throughput);
    res.put("events", new ArrayList<>(events));
    res.put("http_faults", faultCounts);
    if (!scaleFigures.isEmpty()) {
      res.put("kafka_scale", new LinkedHashMap<>(scaleFigures));
    }
    res.put("receiver", receiverStats);
    res.put("sqlite_check", sqlCheck);
    setup.put("load_average_after", BenchCommand.loadAverage());
    res.put("setup", setup);
    Report.writeJson(dir.resolve("result.json"), res);
    Report.writeHtml(dir.resolve("report.html"), res, Report.perSecond(firsts, startMs), firsts, new ArrayList<>(events));
    this.result = res;

    console.println();
    console.println((passed ? "PASSED: " : "FAILED: ") + verdict);
    console.printf("produced %s, expected %s, delivered unique %s, dead-lettered %s, missing %s, unexpected %s, duplicates %s%n",
        counts.get("produced"), counts.get("expected"), delivered, counts.get("dead_lettered"), missing, unexpected, counts.get("duplicates"));
    console.println("latency ms " + latency);
    console.println("latency ms of messages produced after " + Durations.format(steadyAfter) + " " + latencySteady);
    console.println("throughput " + throughput);
    if (!scaleFigures.isEmpty()) {
      console.println("kafka scale " + scaleFigures);
    }
    console.println("sqlite check " + sqlCheck);
    console.println("report: " + dir.resolve("report.html").toAbsolutePath());
    return passed ? 0 : 1;
  }

  private void publish(Kafka kafka, List<Payloads.Row> rows, Recorder recorder) {
    try (KafkaProducer<String, byte[]> producer = kafka.producer(1)) {
      long t0 = System.nanoTime();
      for (Payloads.Row r : rows) {
        long due = t0 + TimeUnit.MILLISECONDS.toNanos(r.offsetMs());
        long wait = due - System.nanoTime();
        if (wait > 200_000) {
          LockSupport.parkNanos(wait);
        }
        producer.send(new ProducerRecord<>(r.topic(), r.key(), r.payload()), (md, e) -> {
          if (e == null) {
            recorder.produced(r, md.partition(), md.offset(), md.timestamp());
          } else {
            recorder.produceFailures.incrementAndGet();
            recorder.lastProduceError = e.toString();
          }
        });
      }
      producer.flush();
    }
  }

  private static final java.util.regex.Pattern SEQ = java.util.regex.Pattern.compile("\"seq\":(\\d+)");

  /** Tells the recorder which messages are in the subscription's dead letters now (by the payload's seq). */
  private static void readDeadLetters(SubscriptionStore store, String subscriptionId, Recorder recorder) {
    java.util.BitSet now = new java.util.BitSet();
    String after = null;
    do {
      io.webhookd.DeadLetter.Page page = store.deadLetters(subscriptionId, after, 1000);
      for (io.webhookd.DeadLetter d : page.deadLetters()) {
        java.util.regex.Matcher m = SEQ.matcher(d.message());
        if (m.find()) {
          now.set(Integer.parseInt(m.group(1)));
        }
      }
      after = page.next();
    } while (after != null);
    recorder.deadLetters(now);
  }

  private void runFault(Fault f, long publishMs, Kafka kafka, HttpFaults http, AtomicReference<Engine> engine,
      SubscriptionStore store, Set<String> topics, @Nullable String groupId) throws Exception {
    String topic = topics.iterator().next();
    sleepUntil(startMs + Math.round(publishMs * f.kind().at));
    switch (f.kind()) {
      case BROKER_RESTART -> {
        KafkaCluster c = kafka.cluster();
        lockBrokerFaults("broker-restart");
        try {
          int broker = leaderOfPartition0(kafka, topic);
          event("broker " + broker + " stopping (leader of " + topic + "-0)");
          c.stopBroker(broker);
          event("broker " + broker + " stopped");
          Thread.sleep(f.duration().toMillis());
          c.startBroker(broker);
          event("broker " + broker + " started again");
        } finally {
          brokerFaults.unlock();
        }
      }
      case KAFKA_SCALE -> {
        KafkaScale scale = new KafkaScale(kafka.cluster(), topics, groupId, this::event, scaleFigures);
        lockBrokerFaults("kafka-scale (add a broker)");
        try {
          scale.addBroker();
        } finally {
          brokerFaults.unlock();
        }
        sleepUntil(startMs + Math.round(publishMs * Fault.SCALE_DOWN_AT));
        lockBrokerFaults("kafka-scale (remove a broker)");
        try {
          scale.removeBroker();
        } finally {
          brokerFaults.unlock();
        }
      }
      case ENGINE_CRASH -> {
        // requests open at the crash, answered 200 after it: the next engine must recover from
        // delivered-but-uncommitted state (they come again: duplicates, never missing)
        http.hold(1000);
        Thread.sleep(400);
        event("engine abandoned (crash) with requests open");
        engine.get().abandonForTesting();
        http.hold(0);
        engine.set(Engines.startCrashable(kafka.bootstrap(), store));
        event("new engine started");
      }
      case HTTP_400 -> {
        http.poison(f.fraction());
        event("the webhook refuses " + f.fraction() * 100 + "% of the messages for ever (400): on for the whole run");
      }
      case HTTP_5XX -> {
        http.fraction5xx(f.fraction());
        event("5xx on " + Math.round(f.fraction() * 100) + "% of requests: on");
        sleepUntil(startMs + Math.round(publishMs * Fault.SPAN_END));
        http.fraction5xx(0);
        event("5xx fraction: off");
      }
      case HTTP_5XX_WINDOW -> {
        http.window5xx(System.currentTimeMillis() + f.duration().toMillis());
        event("503 on every request for " + Durations.format(f.duration()));
        Thread.sleep(f.duration().toMillis());
        event("503 window over");
      }
      case SLOW -> {
        http.slow(f.duration().toMillis());
        event("endpoint slow (" + Durations.format(f.duration()) + " per request): on");
        sleepUntil(startMs + Math.round(publishMs * Fault.SPAN_END));
        http.slow(0);
        event("endpoint slow: off");
      }
      case TOO_MANY -> {
        http.tooMany(System.currentTimeMillis() + f.duration().toMillis(), f.seconds(), 2);
        event("429 with Retry-After " + f.seconds() + " s for " + Durations.format(f.duration()) + " (and at least 2 requests)");
        Thread.sleep(f.duration().toMillis());
        event("429 over");
      }
    }
  }

  /** Takes the broker-fault lock, saying so when the other broker fault holds it. */
  private void lockBrokerFaults(String step) throws InterruptedException {
    if (!brokerFaults.tryLock()) {
      event(step + " waits for the other broker fault to finish");
      brokerFaults.lockInterruptibly();
    }
  }

  private static int leaderOfPartition0(Kafka kafka, String topic) throws Exception {
    KafkaCluster c = kafka.cluster();
    TopicDescription d = c.admin().describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
    var leader = d.partitions().get(0).leader();
    return leader != null ? leader.id() : c.brokerIds().get(0);
  }

  private void event(String what) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("t_ms", System.currentTimeMillis() - startMs);
    e.put("event", what);
    events.add(e);
    console.printf("%s[%5.1fs] %s%n", System.console() != null ? "\n" : "", (System.currentTimeMillis() - startMs) / 1000.0, what);
  }

  private static void sleepUntil(long epochMs) throws InterruptedException {
    long w = epochMs - System.currentTimeMillis();
    if (w > 0) {
      Thread.sleep(w);
    }
  }

  static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private io.webhookd.Ordering orderingOption() {
    io.webhookd.Ordering o = io.webhookd.Ordering.fromWireName(ordering);
    if (o == null) {
      throw new IllegalArgumentException("--ordering must be partition, key or none, was " + ordering);
    }
    return o;
  }
}
