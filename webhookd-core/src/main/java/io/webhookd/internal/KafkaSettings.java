package io.webhookd.internal;

import io.webhookd.Problem;
import io.webhookd.ValidationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Checks, when an engine starts, the Kafka properties that would otherwise fail in every
 * subscription's consumer thread (over and over, as the runner restarts) or break webhookd's
 * guarantees quietly.
 */
final class KafkaSettings {
  /** Kafka's default {@code max.poll.interval.ms}. */
  static final long DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;

  /** What the consumer protocol (KIP-848) refuses: the broker owns them. */
  private static final List<String> CLASSIC_ONLY =
      List.of(
          ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
          ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
          ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);

  private KafkaSettings() {}

  /** Whether the configuration selects the consumer group protocol of KIP-848. */
  static boolean consumerProtocol(Map<String, Object> kafka) {
    Object p = kafka.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG);
    return p != null && String.valueOf(p).trim().toLowerCase(Locale.ROOT).equals("consumer");
  }

  /**
   * @throws ValidationException naming each property that cannot work: one the chosen group
   *     protocol refuses, or a {@code max.poll.interval.ms} that a revoke's wait for open requests
   *     (the request timeout plus a margin) would exceed, which would get the consumer expelled
   *     from its group in the middle of every rebalance
   */
  static void check(Engine.Config config) {
    List<Problem> problems = new ArrayList<>();
    Map<String, Object> kafka = config.kafka();
    if (consumerProtocol(kafka)) {
      for (String p : CLASSIC_ONLY) {
        if (kafka.containsKey(p)) {
          problems.add(
              new Problem(
                  "kafka." + p,
                  "is not supported with group.protocol=consumer (the broker sets it: group.consumer.*); remove it, was "
                      + kafka.get(p)));
        }
      }
    }
    long revokeWait = config.requestTimeout().toMillis() + SubscriptionRunner.ANSWER_MARGIN_NANOS / 1_000_000;
    Object configured = kafka.get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
    long interval = DEFAULT_MAX_POLL_INTERVAL_MS;
    if (configured != null) {
      try {
        interval = Long.parseLong(String.valueOf(configured).trim());
      } catch (NumberFormatException e) {
        interval = -1;
      }
    }
    if (interval <= revokeWait) {
      problems.add(
          configured != null
              ? new Problem(
                  "kafka." + ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                  "must be a number of milliseconds greater than the request timeout plus 5 s ("
                      + revokeWait
                      + " ms): a revoke waits that long for open requests, inside poll; was "
                      + configured)
              : new Problem(
                  "requestTimeout",
                  "plus 5 s must stay below Kafka's max.poll.interval.ms ("
                      + interval
                      + " ms by default; raise it in kafkaProperties): a revoke waits that long for open requests, inside"
                      + " poll; was "
                      + config.requestTimeout().toMillis()
                      + " ms"));
    }
    if (!problems.isEmpty()) {
      throw new ValidationException(problems);
    }
  }
}
