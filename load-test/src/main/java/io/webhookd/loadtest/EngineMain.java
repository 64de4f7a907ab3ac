package io.webhookd.loadtest;

import io.webhookd.Subscription;
import io.webhookd.Webhookd;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One engine in a JVM of its own, for {@code scale --engines N}: an engine as users build it, on
 * a PostgreSQL store. Prints {@code READY <engine id>}, then answers each {@code stats} (or {@code
 * stats gc}, with the heap measured after a GC) on its standard input with {@code STATS
 * running=<n> threads=<n> heap=<bytes> cpu=<ns>}, and each {@code running} with {@code RUNNING}
 * and the names of the subscriptions it runs (its own consumer or parked at a shared reader),
 * separated by spaces; closes gracefully when its input closes (a {@code kill -9} is how the
 * harness crashes it).
 *
 * <p>Arguments: {@code <bootstrap> <jdbc url> <jdbc user> <encryption key> <engine id> <transport>
 * [<share-idle seconds>]}; share-idle seconds 0 (or absent) is off, N turns on {@link
 * Webhookd.Builder#shareIdleReading} after N seconds.
 */
public final class EngineMain {
  private EngineMain() {}

  public static void main(String[] args) throws Exception {
    LoadTestMain.quietKafkaLogs();
    Transports.use(args[5], List.of("apache", "jdk"));
    JdbcSubscriptionStore store =
        JdbcSubscriptionStore.builder().jdbcUrl(args[1]).username(args[2]).password("").encryptionKey(args[3]).build();
    int shareIdle = args.length > 6 ? Integer.parseInt(args[6]) : 0;
    Webhookd.Builder builder =
        Webhookd.builder()
            .bootstrapServers(args[0])
            .kafkaProperties(java.util.Map.of("client.id", "webhookd-scale"))
            .destination(Transports.create())
            .store(store)
            .engineId(args[4])
            .requestTimeout(Duration.ofSeconds(10))
            .shutdownTimeout(Duration.ofSeconds(15));
    if (shareIdle > 0) {
      builder.shareIdleReading(Duration.ofSeconds(shareIdle));
    }
    Webhookd engine = builder.build();
    System.out.println("READY " + engine.engineId());
    System.out.flush();
    Map<String, String> subs = namesById(engine); // not the Subscriptions: they would weigh in the heap figure
    long listedAt = System.nanoTime();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (!line.startsWith("stats") && !line.equals("running")) {
        continue;
      }
      if (System.nanoTime() - listedAt > Duration.ofSeconds(10).toNanos()) {
        subs = namesById(engine);
        listedAt = System.nanoTime();
      }
      if (line.equals("running")) {
        StringBuilder names = new StringBuilder("RUNNING");
        subs.forEach((id, name) -> {
          if (engine.isRunning(id)) {
            names.append(' ').append(name);
          }
        });
        System.out.println(names);
        System.out.flush();
        continue;
      }
      if (line.contains("gc")) {
        System.gc();
        Thread.sleep(200);
      }
      int running = 0;
      for (String id : subs.keySet()) {
        if (engine.isRunning(id)) {
          running++;
        }
      }
      System.out.printf("STATS running=%d threads=%d heap=%d cpu=%d%n", running, ManagementFactory.getThreadMXBean().getThreadCount(),
          ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), os.getProcessCpuTime());
      System.out.flush();
    }
    engine.close();
    System.exit(0);
  }

  private static Map<String, String> namesById(Webhookd engine) {
    Map<String, String> names = new HashMap<>();
    for (Subscription s : engine.list()) {
      names.put(s.id(), s.spec().name());
    }
    return names;
  }
}
