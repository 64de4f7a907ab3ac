package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * Where {@link Webhookd#replay} moves a subscription's consumer group: Kafka's own semantics
 * (earliest, latest, the first offset at or after a timestamp through {@code offsetsForTimes},
 * or given offsets).
 */
public sealed interface ReplayFrom {

  /** Each partition's first offset still in the log. */
  static ReplayFrom earliest() {
    return Earliest.INSTANCE;
  }

  /** Each partition's end: nothing before now is delivered again. */
  static ReplayFrom latest() {
    return Latest.INSTANCE;
  }

  /** Each partition's first record whose timestamp is at or after {@code time} (the end if none). */
  static ReplayFrom at(Instant time) {
    return new AtTime(time);
  }

  /** The given offsets; partitions of the subscription's topics not listed keep their position. */
  static ReplayFrom offsets(List<Position> positions) {
    return new AtOffsets(positions);
  }

  /** See {@link #earliest()}. */
  enum Earliest implements ReplayFrom {
    INSTANCE
  }

  /** See {@link #latest()}. */
  enum Latest implements ReplayFrom {
    INSTANCE
  }

  /** See {@link #at(Instant)}. */
  record AtTime(Instant time) implements ReplayFrom {
    public AtTime {
      requireNonNull(time, "time");
    }
  }

  /** See {@link #offsets(List)}. */
  record AtOffsets(List<Position> positions) implements ReplayFrom {
    public AtOffsets {
      positions = List.copyOf(positions);
    }
  }
}
