package io.webhookd;

import static java.util.Objects.requireNonNull;

/** A place in a topic: the offset of the next record to read from a partition. */
public record Position(String topic, int partition, long offset) {
  public Position {
    requireNonNull(topic, "topic");
  }
}
