package io.webhookd;

/**
 * How engines that share a store divide the subscriptions between them.
 *
 * @see Webhookd.Builder#assignment(Assignment)
 */
public enum Assignment {
  /**
   * Each subscription runs on {@code configuration.parallelism} engines (default 1), chosen
   * through Kafka's group protocol: every engine joins one coordination group (default {@code
   * webhookd-engines}) over an internal topic (default {@code webhookd.slots}) whose partitions are
   * slots; a subscription hashes to a slot and runs on the engines that own it and the next slots.
   * An engine that dies loses its slots when its session times out (6 s) and its subscriptions
   * start on the others; an engine that joins takes its share. The default when the store is
   * shared ({@link io.webhookd.spi.SubscriptionStore#isShared()}).
   */
  SLOTS,
  /**
   * Every engine runs every active subscription, and each subscription's Kafka group {@code
   * webhooks-{id}} spreads its partitions over the engines: each engine costs as much as all
   * subscriptions together. The default with a store that is not shared (one engine).
   */
  GROUPS
}
