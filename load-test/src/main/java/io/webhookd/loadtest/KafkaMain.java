package io.webhookd.loadtest;

import io.webhookd.testkit.KafkaCluster;

/**
 * An in-process KRaft cluster in a JVM of its own ({@code bench --kafka-jvm}): prints {@code
 * BOOTSTRAP <servers>} and runs until its standard input closes.
 */
public final class KafkaMain {
  private KafkaMain() {}

  public static void main(String[] args) throws Exception {
    LoadTestMain.quietKafkaLogs();
    int brokers = args.length > 1 && args[0].equals("--brokers") ? Integer.parseInt(args[1]) : 1;
    KafkaCluster c = KafkaCluster.start(brokers);
    System.out.println("BOOTSTRAP " + c.bootstrapServers());
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the parent closes our stdin
    }
    c.close();
    System.exit(0);
  }
}
