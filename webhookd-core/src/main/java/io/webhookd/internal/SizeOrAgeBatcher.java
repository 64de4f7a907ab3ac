package io.webhookd.internal;

import io.webhookd.spi.Batcher;

/** The standard {@link Batcher}: full at a count or a size in bytes, due at an age. Immutable. */
public final class SizeOrAgeBatcher implements Batcher {
  private final int maxSize;
  private final long maxBytes;
  private final long maxWaitNanos;

  public SizeOrAgeBatcher(int maxSize, long maxBytes, long maxWaitNanos) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("maxSize must be at least 1, was " + maxSize);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be at least 1, was " + maxBytes);
    }
    if (maxWaitNanos < 0) {
      throw new IllegalArgumentException("maxWaitNanos must not be negative, was " + maxWaitNanos);
    }
    this.maxSize = maxSize;
    this.maxBytes = maxBytes;
    this.maxWaitNanos = maxWaitNanos;
  }

  @Override
  public int batchSize(int waiting, long waitingBytes, long oldestWaitNanos) {
    if (waiting <= 0) {
      return 0;
    }
    if (waiting >= maxSize || waitingBytes >= maxBytes || oldestWaitNanos >= maxWaitNanos) {
      return Math.min(waiting, maxSize);
    }
    return 0;
  }

  @Override
  public long nanosUntilDue(int waiting, long waitingBytes, long oldestWaitNanos) {
    if (waiting <= 0) {
      return Long.MAX_VALUE;
    }
    if (waiting >= maxSize || waitingBytes >= maxBytes) {
      return 0;
    }
    return Math.max(0, maxWaitNanos - oldestWaitNanos);
  }

  @Override
  public int maxBatchSize() {
    return maxSize;
  }

  @Override
  public long maxBatchBytes() {
    return maxBytes;
  }

  @Override
  public String toString() {
    return "Batcher[maxSize=" + maxSize + ", maxBytes=" + maxBytes + ", maxWaitNanos=" + maxWaitNanos + "]";
  }
}
