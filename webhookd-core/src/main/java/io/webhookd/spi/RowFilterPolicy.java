package io.webhookd.spi;

import io.webhookd.Subscription;
import java.util.List;

/**
 * Row-level access: JMESPath filters that every message a subscription delivers from a topic
 * must also pass, whatever filters the subscription itself has (the server derives them from the
 * owner's policy). Thread-safe; consulted when a subscription's consumer starts.
 */
@FunctionalInterface
public interface RowFilterPolicy {
  /** No extra filters. */
  RowFilterPolicy NONE = (subscription, topic) -> List.of();

  /** Extra filters for {@code topic} of {@code subscription}, ANDed with its own. */
  List<String> filtersFor(Subscription subscription, String topic);
}
