package io.webhookd.spring.boot;

import io.webhookd.testkit.KafkaCluster;

/**
 * The test kit's one-broker cluster in a JVM of its own, for {@link TestKafka}: prints {@value
 * #READY} and the address, then runs until its standard input closes (the parent JVM ended).
 */
public final class ForkedBroker {
  static final String READY = "forked-broker-ready ";

  private ForkedBroker() {}

  public static void main(String[] args) throws Exception {
    try (KafkaCluster cluster = KafkaCluster.start(1)) {
      System.out.println(READY + cluster.bootstrapServers());
      System.out.flush();
      while (System.in.read() >= 0) {
        // until the parent goes away
      }
    }
  }
}
