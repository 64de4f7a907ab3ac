package io.webhookd.internal;

/**
 * One message waiting to be delivered: in its partition's buffer, then in a batch.
 *
 * @param offset its offset in its partition
 * @param bytes its JSON object of the wire format, ready to be joined into a batch body
 * @param arrivalNanos when it was read ({@link System#nanoTime()}), for the batching interval
 * @param timestamp its Kafka timestamp (epoch milliseconds), for the produce-to-delivery latency
 * @param trace the trace context its record carries, or {@code null} when it carries no valid one
 */
record Pending(long offset, byte[] bytes, long arrivalNanos, long timestamp, @org.jspecify.annotations.Nullable TraceParent trace) {}
