package io.webhookd.it;

import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testkit.WithKafka;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A test on the shared broker with a fresh webhook receiver for each test method. */
@WithKafka
abstract class ReceiverTestBase {
  protected final KafkaCluster kafka;
  protected WebhookReceiver receiver;

  ReceiverTestBase(KafkaCluster kafka) {
    this.kafka = kafka;
  }

  @BeforeEach
  void startReceiver() {
    receiver = WebhookReceiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.close();
  }
}
