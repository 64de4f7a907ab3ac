package com.example.host;

import io.webhookd.Webhookd;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.SubscriptionListenerContract;

/** With the host's store, the engine still keeps what it promises listeners. */
class HostEngineListenerContractTest extends SubscriptionListenerContract {
  @Override
  protected Webhookd.Builder engine(KafkaCluster kafka) {
    return Webhookd.builder().bootstrapServers(kafka.bootstrapServers()).store(new MapSubscriptionStore());
  }
}
