package io.webhookd.spi;

import io.webhookd.SubscriptionSpec;

/**
 * Decides when the messages waiting for a subscription form a batch. Called only from the
 * subscription's consumer thread; implementations need not be thread-safe but must be cheap.
 *
 * <p>{@code io.webhookd.testkit.BatcherContract} is the contract test.
 */
public interface Batcher {

  /**
   * How many of the waiting messages to send now (at most {@link #maxBatchSize()}), or 0 to wait.
   *
   * @param waiting messages waiting to be sent
   * @param oldestWaitNanos how long the oldest of them has waited
   */
  int batchSize(int waiting, long oldestWaitNanos);

  /** Nanoseconds until {@link #batchSize} would say yes without new messages; 0 when it does now. */
  long nanosUntilDue(int waiting, long oldestWaitNanos);

  /** The most messages in one batch. */
  int maxBatchSize();

  /**
   * A subscription's batching ({@code configuration.batching}): a batch is full at {@code
   * maxSize} messages, or due when its oldest message has waited {@code maxWaitNanos}.
   */
  static Batcher sizeOrAge(int maxSize, long maxWaitNanos) {
    return new Batcher() {
      @Override
      public int batchSize(int waiting, long oldestWaitNanos) {
        if (waiting >= maxSize) {
          return maxSize;
        }
        return waiting > 0 && oldestWaitNanos >= maxWaitNanos ? waiting : 0;
      }

      @Override
      public long nanosUntilDue(int waiting, long oldestWaitNanos) {
        if (waiting == 0) {
          return Long.MAX_VALUE;
        }
        if (waiting >= maxSize) {
          return 0;
        }
        return Math.max(0, maxWaitNanos - oldestWaitNanos);
      }

      @Override
      public int maxBatchSize() {
        return maxSize;
      }
    };
  }

  /** The batcher a spec's batching configuration describes. */
  static Batcher of(SubscriptionSpec.Batching batching) {
    return sizeOrAge(batching.maxBatchSize(), batching.maxBatchInterval().toNanos());
  }
}
