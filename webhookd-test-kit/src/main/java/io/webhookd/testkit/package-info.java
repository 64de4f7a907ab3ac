/**
 * Test support for webhookd and its extensions (JUnit 5):
 *
 * <ul>
 *   <li>a real in-process Kafka cluster ({@link io.webhookd.testkit.WithKafka}, {@link
 *       io.webhookd.testkit.KafkaCluster}; its brokers log at {@code warn} unless {@code
 *       -Dwebhookd.testkit.kafkaLogLevel=info});
 *   <li>a real webhook receiver ({@link io.webhookd.testkit.WebhookReceiver});
 *   <li>in-memory fakes ({@link io.webhookd.testkit.InMemoryDestination}, {@link
 *       io.webhookd.testkit.RecordingListener});
 *   <li>abstract contract tests that an implementation's test extends with one factory method:
 *       {@link io.webhookd.testkit.WebhookDestinationContract} (every destination), {@link
 *       io.webhookd.testkit.HttpWebhookDestinationContract} (an HTTP one), {@link
 *       io.webhookd.testkit.SubscriptionStoreContract}, {@link
 *       io.webhookd.testkit.AlertChannelContract}, {@link io.webhookd.testkit.RetrierContract},
 *       {@link io.webhookd.testkit.BatcherContract}, and {@link
 *       io.webhookd.testkit.SubscriptionListenerContract} (what an engine promises its
 *       listeners, on a real broker).
 * </ul>
 */
@NullMarked
package io.webhookd.testkit;

import org.jspecify.annotations.NullMarked;
