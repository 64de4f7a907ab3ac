/**
 * Test support for webhookd and its extensions: a real in-process Kafka cluster for JUnit 5
 * ({@link io.webhookd.testkit.WithKafka}, {@link io.webhookd.testkit.KafkaCluster}), a real webhook
 * receiver ({@link io.webhookd.testkit.WebhookReceiver}), in-memory fakes of the SPIs ({@link
 * io.webhookd.testkit.InMemoryDestination}, {@link io.webhookd.testkit.RecordingListener}), and
 * abstract contract tests that every SPI implementation's test extends ({@link
 * io.webhookd.testkit.SubscriptionStoreContract}).
 */
@NullMarked
package io.webhookd.testkit;

import org.jspecify.annotations.NullMarked;
