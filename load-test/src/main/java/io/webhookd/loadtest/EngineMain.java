package io.webhookd.loadtest;

import io.webhookd.Subscription;
import io.webhookd.Webhookd;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * One engine in a JVM of its own, for {@code scale --engines N}: an engine as users build it, on
 * a PostgreSQL store. Prints {@code READY <engine id>}, then answers each {@code stats} (or {@code
 * stats gc}, with the heap measured after a GC) on its standard input with {@code STATS
 * running=<n> threads=<n> heap=<bytes> cpu=<ns>}; closes gracefully when its input closes (a
 * {@code kill -9} is how the harness crashes it).
 *
 * <p>Arguments: {@code <bootstrap> <jdbc url> <jdbc user> <encryption key> <engine id> <transport>}.
 */
public final class EngineMain {
  private EngineMain() {}

  public static void main(String[] args) throws Exception {
    LoadTestMain.quietKafkaLogs();
    Transports.use(args[5], List.of("apache", "jdk"));
    JdbcSubscriptionStore store =
        JdbcSubscriptionStore.builder().jdbcUrl(args[1]).username(args[2]).password("").encryptionKey(args[3]).build();
    Webhookd engine =
        Webhookd.builder()
            .bootstrapServers(args[0])
            .kafkaProperties(java.util.Map.of("client.id", "webhookd-scale"))
            .destination(Transports.create())
            .store(store)
            .engineId(args[4])
            .requestTimeout(Duration.ofSeconds(10))
            .shutdownTimeout(Duration.ofSeconds(15))
            .build();
    System.out.println("READY " + engine.engineId());
    System.out.flush();
    List<String> ids = engine.list().stream().map(Subscription::id).toList();
    long listedAt = System.nanoTime();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (!line.startsWith("stats")) {
        continue;
      }
      if (System.nanoTime() - listedAt > Duration.ofSeconds(10).toNanos()) {
        ids = engine.list().stream().map(Subscription::id).toList();
        listedAt = System.nanoTime();
      }
      if (line.contains("gc")) {
        System.gc();
        Thread.sleep(200);
      }
      int running = 0;
      for (String id : ids) {
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
}
