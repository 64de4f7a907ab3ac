package io.webhookd.spi;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;

/**
 * Decides when the messages waiting for a subscription form a batch, and how large a batch may
 * be. The engine asks it with what waits (messages, their bytes, the oldest one's wait) and forms
 * the batch: never more than {@link #maxBatchSize()} messages nor, unless a single message is
 * larger, more than {@link #maxBatchBytes()} bytes; messages of one partition that reach either
 * limit go as a batch of their own at once.
 *
 * <p>Called only from the subscription's consumer thread; implementations need not be thread-safe
 * but must be cheap (they are asked on every poll). Plug one in with {@link Factory} on {@code
 * Webhookd.builder().batchers(...)}; the default is {@link #of(SubscriptionSpec.Batching)}.
 * {@code io.webhookd.testkit.BatcherContract} is the contract test.
 */
public interface Batcher {

  /** The most bytes of messages in one batch unless a batcher says otherwise: 10 MiB. */
  long DEFAULT_MAX_BATCH_BYTES = 10L * 1024 * 1024;

  /**
   * How many of the waiting messages to send now (at most {@link #maxBatchSize()} and at most
   * {@code waiting}), or 0 to wait.
   *
   * @param waiting messages waiting to be sent, at least 0
   * @param waitingBytes their size in bytes (each message's JSON object of the wire format)
   * @param oldestWaitNanos how long the oldest of them has waited
   */
  int batchSize(int waiting, long waitingBytes, long oldestWaitNanos);

  /**
   * Nanoseconds until {@link #batchSize} would ask for a batch without new messages: 0 when it
   * does now, {@code Long.MAX_VALUE} with nothing waiting; never more than finite while something
   * waits (a message may not wait for ever).
   */
  long nanosUntilDue(int waiting, long waitingBytes, long oldestWaitNanos);

  /** The most messages in one batch, at least 1. */
  int maxBatchSize();

  /** The most bytes of messages in one batch (a single larger message goes alone); default 10 MiB. */
  default long maxBatchBytes() {
    return DEFAULT_MAX_BATCH_BYTES;
  }

  /**
   * The subscription's batching ({@code configuration.batching}): a batch is full at {@code
   * maxSize} messages (or 10 MiB), and due when its oldest message has waited {@code
   * maxWaitNanos}.
   */
  static Batcher sizeOrAge(int maxSize, long maxWaitNanos) {
    return new io.webhookd.internal.SizeOrAgeBatcher(maxSize, DEFAULT_MAX_BATCH_BYTES, maxWaitNanos);
  }

  /**
   * Batches closed by size in bytes: full at {@code maxBytes} of messages (or {@code maxSize}
   * messages), due when the oldest has waited {@code maxWaitNanos}.
   */
  static Batcher bytesOrAge(long maxBytes, int maxSize, long maxWaitNanos) {
    return new io.webhookd.internal.SizeOrAgeBatcher(maxSize, maxBytes, maxWaitNanos);
  }

  /** The batcher a spec's batching configuration describes. */
  static Batcher of(SubscriptionSpec.Batching batching) {
    return sizeOrAge(batching.maxBatchSize(), batching.maxBatchInterval().toNanos());
  }

  /**
   * Makes the batcher of each subscription an engine runs, when its runner starts (again after
   * every change of the subscription). Called on the engine's threads; must be thread-safe.
   */
  @FunctionalInterface
  interface Factory {
    /** The subscription's own {@code configuration.batching}: {@link Batcher#of}. */
    Factory FROM_SPEC = s -> of(s.spec().batching());

    Batcher create(Subscription subscription);
  }
}
