package io.webhookd.loadtest;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.ReceivedRequest;
import io.webhookd.testkit.WebhookReceiver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;

/**
 * {@code scale --engines N}: N engine processes ({@link EngineMain}) sharing one PostgreSQL schema
 * and one Kafka broker (a JVM of its own), the subscriptions divided between them by the
 * coordination group. Reports the subscriptions each engine runs, threads, heap and CPU of each
 * engine and of the broker idle and busy, then kills one engine with {@code kill -9} in the middle
 * of a load and reports how long until its subscriptions ran on the others, when each of them had
 * received a message produced after the kill (deliveries resumed), and how many messages are
 * missing (each subscription must receive every message of its topic). With {@code --share-idle}
 * each engine shares the reading of its idle subscriptions.
 */
final class ScaleOutRun {
  private final ScaleCommand o;
  private final List<EngineProcess> engines = new ArrayList<>();
  private final Map<String, Set<String>> producedByTopic = new ConcurrentHashMap<>();

  ScaleOutRun(ScaleCommand options) {
    this.o = options;
  }

  /** An engine JVM and its pipes. */
  static final class EngineProcess {
    final String id;
    final Process process;
    final BufferedReader out;
    final PrintWriter in;
    boolean killed;

    EngineProcess(String id, Process process) {
      this.id = id;
      this.process = process;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** running, threads, heap, cpu. */
    synchronized long[] stats(boolean gc) throws Exception {
      in.println(gc ? "stats gc" : "stats");
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("STATS ")) {
          long[] v = new long[4];
          String[] f = line.substring(6).split(" ");
          for (int i = 0; i < 4; i++) {
            v[i] = Long.parseLong(f[i].substring(f[i].indexOf('=') + 1));
          }
          return v;
        }
      }
      throw new IllegalStateException("engine " + id + " ended");
    }

    /** The names of the subscriptions it runs (on their own consumers or parked). */
    synchronized Set<String> running() throws Exception {
      in.println("running");
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("RUNNING")) {
          Set<String> names = new HashSet<>();
          for (String name : line.substring("RUNNING".length()).trim().split(" ")) {
            if (!name.isEmpty()) {
              names.add(name);
            }
          }
          return names;
        }
      }
      throw new IllegalStateException("engine " + id + " ended");
    }
  }

  int run() throws Exception {
    String key = newKey();
    String schema = "scale_" + UUID.randomUUID().toString().substring(0, 8);
    String url = o.jdbcUrl + (o.jdbcUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    try (Connection c = DriverManager.getConnection(o.jdbcUrl, o.jdbcUser, "");
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    Process kafkaJvm = startKafkaJvm();
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      String bootstrap = BenchCommand.bootstrapOf(kafkaJvm);
      System.out.printf("kafka: %s (JVM pid %d); PostgreSQL schema %s; %d engines; %d subscriptions over %d topics of %d partitions;"
              + " shared reading of idle subscriptions %s; load average %s%n", bootstrap, kafkaJvm.pid(), schema, o.engines, o.subscriptions,
          o.topics, o.partitions, o.shareIdle > 0 ? "after " + o.shareIdle + " s" : "off", BenchCommand.loadAverage());
      List<String> topics = new ArrayList<>();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        List<NewTopic> nt = new ArrayList<>();
        for (int t = 0; t < o.topics; t++) {
          topics.add("scale-" + t);
          nt.add(new NewTopic("scale-" + t, o.partitions, (short) 1));
        }
        admin.createTopics(nt).all().get(60, TimeUnit.SECONDS);
      }
      topics.forEach(t -> producedByTopic.put(t, ConcurrentHashMap.newKeySet()));
      Map<String, String> topicOf = new HashMap<>();
      try (JdbcSubscriptionStore store = JdbcSubscriptionStore.builder().jdbcUrl(url).username(o.jdbcUser).password("").encryptionKey(key).build()) {
        Instant now = Instant.now();
        for (int i = 0; i < o.subscriptions; i++) {
          String topic = topics.get(i % o.topics);
          SubscriptionSpec spec = SubscriptionSpec.builder().name("scale-" + i).webhookUrl(receiver.url("/s/" + i).toString())
              .source(topic).maxBatchSize(50).maxBatchInterval(Duration.ofMillis(200)).build();
          store.create(new Subscription(UUID.randomUUID().toString(), spec, null, 1, now, now));
          topicOf.put("/s/" + i, topic);
        }
      }
      long t0 = System.nanoTime();
      for (int e = 0; e < o.engines; e++) {
        engines.add(startEngine(bootstrap, url, key, "engine-" + (char) ('a' + e)));
      }
      for (EngineProcess e : engines) {
        String line = e.out.readLine();
        if (line == null || !line.startsWith("READY")) {
          throw new IllegalStateException("engine " + e.id + " did not start: " + line);
        }
      }
      long[] running = awaitAllRunning(engines, Duration.ofMinutes(10));
      System.out.printf("all %d subscriptions running after %.1f s; per engine:%s%n", o.subscriptions, (System.nanoTime() - t0) / 1e9,
          perEngine(engines, running));

      try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
        for (String topic : topics) {
          send(producer, topic, "warm", 1);
        }
        producer.flush();
        awaitReceived(receiver, topicOf, Duration.ofMinutes(10));
        System.out.printf("all %d subscriptions delivering after %.1f s%n", o.subscriptions, (System.nanoTime() - t0) / 1e9);
        if (o.shareIdle > 0) {
          // the warm message woke every subscription: idle is measured once they are back on the shared readers
          long settleStart = System.nanoTime();
          boolean settled = false;
          while (!settled && System.nanoTime() - settleStart < Duration.ofMinutes(3).toNanos()) {
            Thread.sleep(1000); // polling the engines' counters in a measurement tool, not a test
            settled = true;
            for (EngineProcess e : engines) {
              long[] s = e.stats(false);
              settled &= s[1] <= 200 + s[0] / 10;
            }
          }
          System.out.printf("  %s on the shared readers %.1f s later%n", settled ? "back" : "NOT all back",
              (System.nanoTime() - settleStart) / 1e9);
        }

        // idle
        String laIdle = BenchCommand.loadAverage();
        Map<String, long[]> idle0 = new HashMap<>();
        for (EngineProcess e : engines) {
          idle0.put(e.id, e.stats(true));
        }
        long kafkaCpu0 = CpuTimes.childCpu(kafkaJvm.pid());
        Thread.sleep(o.idleSeconds * 1000L);
        long kafkaIdle = CpuTimes.childCpu(kafkaJvm.pid()) - kafkaCpu0;
        System.out.printf("idle over %d s (load average %s -> %s):%n", o.idleSeconds, laIdle, BenchCommand.loadAverage());
        double idleTotal = 0;
        for (EngineProcess e : engines) {
          long[] a = idle0.get(e.id);
          long[] b = e.stats(false);
          double cpu = 100.0 * (b[3] - a[3]) / (o.idleSeconds * 1e9);
          idleTotal += cpu;
          System.out.printf("  %s: %d subscriptions, %d threads, heap %.1f MiB after GC, CPU %.1f%% of a core (%.3f ms/s per subscription)%n",
              e.id, a[0], a[1], a[2] / 1048576.0, cpu, (b[3] - a[3]) / 1e6 / o.idleSeconds / Math.max(1, a[0]));
        }
        double kafkaIdlePct = 100.0 * kafkaIdle / (o.idleSeconds * 1e9);
        System.out.printf("  broker: CPU %.1f%% of a core; engines together %.1f%%; engines + broker %.1f%%%n", kafkaIdlePct, idleTotal,
            idleTotal + kafkaIdlePct);

        // busy
        String laBusy = BenchCommand.loadAverage();
        Map<String, long[]> busy0 = new HashMap<>();
        for (EngineProcess e : engines) {
          busy0.put(e.id, e.stats(false));
        }
        long kafkaBusy0 = CpuTimes.childCpu(kafkaJvm.pid());
        long busyStart = System.nanoTime();
        for (String topic : topics) {
          send(producer, topic, "busy", o.messages);
        }
        producer.flush();
        awaitComplete(receiver, topicOf, Duration.ofMinutes(10));
        double busySeconds = (System.nanoTime() - busyStart) / 1e9;
        long deliveries = (long) o.subscriptions * o.messages;
        System.out.printf("busy: %d messages per topic, %d deliveries in %.1f s; broker CPU %.1f s; load average %s -> %s%n", o.messages,
            deliveries, busySeconds, (CpuTimes.childCpu(kafkaJvm.pid()) - kafkaBusy0) / 1e9, laBusy, BenchCommand.loadAverage());
        for (EngineProcess e : engines) {
          long[] a = busy0.get(e.id);
          long[] b = e.stats(true);
          System.out.printf("  %s: CPU %.1f s, %d threads, heap %.1f MiB after GC%n", e.id, (b[3] - a[3]) / 1e9, b[1], b[2] / 1048576.0);
        }

        System.out.printf("  delivered again before the failover: %s%n", again(receiver));
        if (o.kill && engines.size() > 1) {
          failover(receiver, producer, topics, topicOf);
        }
      }
    } finally {
      for (EngineProcess e : engines) {
        e.in.close();
      }
      for (EngineProcess e : engines) {
        if (!e.process.waitFor(60, TimeUnit.SECONDS)) {
          e.process.destroyForcibly();
        }
      }
      kafkaJvm.getOutputStream().close();
      if (!kafkaJvm.waitFor(60, TimeUnit.SECONDS)) {
        kafkaJvm.destroyForcibly();
      }
      try (Connection c = DriverManager.getConnection(o.jdbcUrl, o.jdbcUser, "");
          Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA " + schema + " CASCADE");
      }
    }
    return 0;
  }

  private void failover(WebhookReceiver receiver, KafkaProducer<String, byte[]> producer, List<String> topics, Map<String, String> topicOf)
      throws Exception {
    String la = BenchCommand.loadAverage();
    long loadNanos = TimeUnit.SECONDS.toNanos(o.loadSeconds);
    AtomicInteger tick = new AtomicInteger(-1);
    Thread load = new Thread(() -> {
      long start = System.nanoTime();
      int n = 0;
      // --rate messages per second over all topics, in ticks of 100 ms, the topics taken in turn
      double credit = 0;
      int next = 0;
      while (System.nanoTime() - start < loadNanos) {
        tick.set(n); // before its records are sent: a tick after the one read at the kill was sent after it
        credit += o.rate / 10.0;
        Map<String, Integer> thisTick = new HashMap<>();
        for (; credit >= 1; credit--) {
          thisTick.merge(topics.get(next++ % topics.size()), 1, Integer::sum);
        }
        for (Map.Entry<String, Integer> e : thisTick.entrySet()) {
          sendAsync(producer, e.getKey(), "load-" + n, e.getValue());
        }
        n++;
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
      producer.flush();
    }, "scale-load");
    load.start();
    Thread.sleep(loadNanos / 3 / 1_000_000);
    EngineProcess victim = null;
    long most = -1;
    for (EngineProcess e : engines) {
      long r = e.stats(false)[0];
      if (r > most) {
        most = r;
        victim = e;
      }
    }
    Set<String> victimPaths = new HashSet<>();
    for (String name : victim.running()) {
      victimPaths.add("/s/" + name.substring("scale-".length()));
    }
    int killTick = tick.get();
    Instant killedWall = Instant.now();
    long killedAt = System.nanoTime();
    victim.process.destroyForcibly(); // SIGKILL
    victim.process.waitFor();
    victim.killed = true;
    List<EngineProcess> survivors = engines.stream().filter(e -> !e.killed).toList();
    System.out.printf("failover: killed %s (kill -9) at %s with %d subscriptions while %d msg/s were produced%n", victim.id,
        java.time.LocalTime.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), most, o.rate);
    long[] running = awaitAllRunning(survivors, Duration.ofMinutes(5));
    System.out.printf("  all %d subscriptions ran on the %d others %.1f s after the kill; per engine:%s%n", o.subscriptions,
        survivors.size(), (System.nanoTime() - killedAt) / 1e9, perEngine(survivors, running));
    load.join();
    long missing = awaitComplete(receiver, topicOf, Duration.ofMinutes(5));
    long produced = producedByTopic.values().stream().mapToLong(Set::size).sum();
    System.out.printf("  %d messages produced in all, %d per subscription; missing: %d; delivered again (at least once): %s%n",
        produced, produced / topics.size(), missing, again(receiver));
    System.out.println("  " + resumed(receiver.requests(), victimPaths, killTick, killedWall, victim.id));
    System.out.printf("  load average %s -> %s%n", la, BenchCommand.loadAverage());
  }

  /** Deliveries of a message that its subscription had received already, of all deliveries so far. */
  private static String again(WebhookReceiver receiver) {
    long deliveries = 0;
    Map<String, Set<String>> distinct = new HashMap<>();
    for (ReceivedRequest r : receiver.requests()) {
      if (r.answeredSuccess()) {
        deliveries += r.messages().size();
        Set<String> ids = distinct.computeIfAbsent(r.path(), x -> new HashSet<>());
        r.messages().forEach(m -> ids.add(m.id()));
      }
    }
    long unique = distinct.values().stream().mapToLong(Set::size).sum();
    return (deliveries - unique) + " of " + deliveries + " deliveries";
  }

  /**
   * When deliveries resumed: the time after the kill at which each subscription the killed engine
   * ran had received a message produced after the kill (a load tick later than the one of the
   * kill: the key {@code load-<tick>-<n>} says which), the subscription told by its URL path.
   */
  static String resumed(List<ReceivedRequest> requests, Set<String> victimPaths, int killTick, Instant killedAt, String victim) {
    Map<String, Instant> first = new HashMap<>();
    for (ReceivedRequest r : requests) {
      if (!r.answeredSuccess() || !victimPaths.contains(r.path())) {
        continue;
      }
      for (ReceivedMessage m : r.messages()) {
        if (loadTick(m.key()) > killTick) {
          first.merge(r.path(), r.receivedAt(), (a, b) -> a.isBefore(b) ? a : b);
          break;
        }
      }
    }
    if (victimPaths.isEmpty()) {
      return "deliveries resumed: " + victim + " ran no subscription";
    }
    List<Long> after = new ArrayList<>();
    first.values().forEach(t -> after.add(Duration.between(killedAt, t).toMillis()));
    java.util.Collections.sort(after);
    String figures = after.isEmpty() ? "" : String.format(java.util.Locale.ROOT, "; median %.1f s, last %.1f s after the kill",
        after.get((after.size() - 1) / 2) / 1e3, after.get(after.size() - 1) / 1e3);
    if (first.size() < victimPaths.size()) {
      return String.format(java.util.Locale.ROOT, "deliveries resumed: only %d of the %d subscriptions of %s received a message produced"
          + " after the kill%s", first.size(), victimPaths.size(), victim, figures);
    }
    return String.format(java.util.Locale.ROOT, "deliveries resumed %.1f s after the kill: by then each of the %d subscriptions of %s"
        + " had received a message produced after it%s", after.get(after.size() - 1) / 1e3, victimPaths.size(), victim, figures);
  }

  /** The load tick of a record's key {@code load-<tick>-<n>}; -1 for any other key. */
  static int loadTick(@Nullable String key) {
    if (key == null || !key.startsWith("load-")) {
      return -1;
    }
    int dash = key.indexOf('-', "load-".length());
    try {
      return Integer.parseInt(key.substring("load-".length(), dash < 0 ? key.length() : dash));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String perEngine(List<EngineProcess> es, long[] running) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < es.size(); i++) {
      b.append(' ').append(es.get(i).id).append('=').append(running[i]);
    }
    return b.toString();
  }

  /**
   * Waits until the engines run every subscription once (parallelism 1), each engine some of them
   * (so that none is still joining), the same counts twice in a row; their counts.
   */
  private long[] awaitAllRunning(List<EngineProcess> es, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    long[] previous = null;
    while (true) {
      long[] running = new long[es.size()];
      long sum = 0;
      boolean eachSome = true;
      for (int i = 0; i < es.size(); i++) {
        running[i] = es.get(i).stats(false)[0];
        sum += running[i];
        eachSome &= running[i] > 0 || o.subscriptions < es.size();
      }
      boolean steady = sum == o.subscriptions && eachSome && java.util.Arrays.equals(running, previous);
      previous = running;
      if (steady || System.nanoTime() > deadline) {
        if (sum != o.subscriptions) {
          System.out.printf("  only %d of %d running after %s%n", sum, o.subscriptions, within);
        }
        return running;
      }
      Thread.sleep(250); // a measurement tool polling counters, not a test
    }
  }

  private void awaitReceived(WebhookReceiver receiver, Map<String, String> topicOf, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Set<String> paths = new HashSet<>();
      for (ReceivedRequest r : receiver.requests()) {
        if (r.answeredSuccess()) {
          paths.add(r.path());
        }
      }
      if (paths.containsAll(topicOf.keySet())) {
        return;
      }
      Thread.sleep(500);
    }
    System.out.println("  not every subscription delivered within " + within);
  }

  /** Waits until every subscription received every message of its topic; the number still missing. */
  private long awaitComplete(WebhookReceiver receiver, Map<String, String> topicOf, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    long missing;
    do {
      Map<String, Set<String>> got = new HashMap<>();
      for (ReceivedRequest r : receiver.requests()) {
        if (r.answeredSuccess()) {
          Set<String> ids = got.computeIfAbsent(r.path(), p -> new HashSet<>());
          r.messages().forEach(m -> ids.add(m.id()));
        }
      }
      missing = 0;
      for (Map.Entry<String, String> e : topicOf.entrySet()) {
        Set<String> have = got.getOrDefault(e.getKey(), Set.of());
        for (String id : producedByTopic.get(e.getValue())) {
          if (!have.contains(id)) {
            missing++;
          }
        }
      }
      if (missing == 0) {
        return 0;
      }
      Thread.sleep(500);
    } while (System.nanoTime() < deadline);
    return missing;
  }

  private void send(KafkaProducer<String, byte[]> producer, String topic, String tag, int count) {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (int m = 0; m < count; m++) {
      byte[] v = ("{\"tag\":\"" + tag + "\",\"m\":" + m + "}").getBytes(StandardCharsets.UTF_8);
      sent.add(producer.send(new ProducerRecord<>(topic, "k" + m, v)));
    }
    for (Future<RecordMetadata> f : sent) {
      try {
        RecordMetadata md = f.get();
        producedByTopic.get(topic).add(ReceivedMessage.id(md.topic(), md.partition(), md.offset()));
      } catch (Exception e) {
        throw new IllegalStateException("could not produce to " + topic, e);
      }
    }
  }

  /** Sends without waiting (the load keeps its rate); each record's id is noted when the broker acknowledges it. */
  private void sendAsync(KafkaProducer<String, byte[]> producer, String topic, String tag, int count) {
    for (int m = 0; m < count; m++) {
      byte[] v = ("{\"tag\":\"" + tag + "\",\"m\":" + m + "}").getBytes(StandardCharsets.UTF_8);
      producer.send(new ProducerRecord<>(topic, tag + "-" + m, v), (md, e) -> {
        if (e == null) {
          producedByTopic.get(topic).add(ReceivedMessage.id(md.topic(), md.partition(), md.offset()));
        } else {
          System.out.println("  a record could not be produced: " + e);
        }
      });
    }
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  private EngineProcess startEngine(String bootstrap, String url, String key, String id) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx" + o.engineHeap, "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS", "-cp", System.getProperty("java.class.path"), "io.webhookd.loadtest.EngineMain",
        bootstrap, url, o.jdbcUser, key, id, o.transport, Integer.toString(o.shareIdle)).redirectError(ProcessBuilder.Redirect.appendTo(engineLog(id))).start();
    return new EngineProcess(id, p);
  }

  private static String newKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  /** Where an engine process's log goes (its standard error): the system's temporary directory, printed once. */
  private static java.io.File engineLog(String id) {
    java.io.File f = new java.io.File(System.getProperty("java.io.tmpdir"), "webhookd-scale-" + id + ".log");
    System.out.printf("  %s logs to %s%n", id, f);
    return f;
  }

  private Process startKafkaJvm() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"), "io.webhookd.loadtest.KafkaMain")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }
}
