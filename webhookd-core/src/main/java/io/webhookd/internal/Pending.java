package io.webhookd.internal;

/**
 * One message waiting to be delivered: in its partition's buffer, then in a batch.
 *
 * @param offset its offset in its partition
 * @param bytes its JSON object of the wire format, ready to be joined into a batch body
 * @param arrivalNanos when it was read ({@link System#nanoTime()}), for the batching interval
 * @param timestamp its Kafka timestamp (epoch milliseconds), for the produce-to-delivery latency
 * @param keyHash a hash of its key, for {@code ordering: "key"} ({@link #keyHash(byte[])}); 0 in
 *     the other modes, where it is not computed. Two keys sharing a hash are held back together
 *     (less parallelism), never reordered.
 * @param trace the trace context its record carries, or {@code null} when it carries no valid one
 */
record Pending(
    long offset,
    byte[] bytes,
    long arrivalNanos,
    long timestamp,
    int keyHash,
    @org.jspecify.annotations.Nullable TraceParent trace) {
  /** The hash of a message without a key: all such messages count as one key. */
  static final int NULL_KEY = 0x6e756c6c;

  /** A message whose key plays no part (ordering by partition or none). */
  Pending(long offset, byte[] bytes, long arrivalNanos, long timestamp) {
    this(offset, bytes, arrivalNanos, timestamp, 0, null);
  }

  /** The hash of a key (null: {@link #NULL_KEY}). */
  static int keyHash(byte @org.jspecify.annotations.Nullable [] key) {
    if (key == null) {
      return NULL_KEY;
    }
    int h = 1;
    for (byte b : key) {
      h = 31 * h + b;
    }
    // spread the bits (murmur3's finalizer): keys differing in their last byte land far apart
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
