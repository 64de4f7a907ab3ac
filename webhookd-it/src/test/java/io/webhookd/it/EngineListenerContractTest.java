package io.webhookd.it;

import io.webhookd.Webhookd;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.SubscriptionListenerContract;

/** The engine keeps the promises of SubscriptionListener's Javadoc. */
class EngineListenerContractTest extends SubscriptionListenerContract {
  @Override
  protected Webhookd.Builder engine(KafkaCluster kafka) {
    return Webhookd.builder().bootstrapServers(kafka.bootstrapServers());
  }
}
