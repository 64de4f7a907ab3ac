package io.webhookd.loadtest;

import java.util.concurrent.CountDownLatch;

/**
 * The receiver alone, for a JVM of its own ({@code bench --receiver-jvm}): prints {@code
 * LISTENING <port>} and serves until its standard input closes (so it dies with its parent).
 * Channels are made and read through its control endpoints.
 */
public final class ReceiverMain {
  private ReceiverMain() {}

  public static void main(String[] args) throws Exception {
    LoadTestMain.quietKafkaLogs();
    int port = 0;
    int threads = 16;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        case "--threads" -> threads = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Receiver r = Receiver.start(port, threads, new HttpFaults());
    System.out.println("LISTENING " + r.port());
    System.out.flush();
    CountDownLatch done = new CountDownLatch(1);
    Thread watcher =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // keep reading until the parent closes our stdin
                }
              } catch (Exception ignored) {
                // parent gone
              }
              done.countDown();
            },
            "stdin-watcher");
    watcher.setDaemon(true);
    watcher.start();
    done.await();
    r.close();
    System.exit(0);
  }
}
