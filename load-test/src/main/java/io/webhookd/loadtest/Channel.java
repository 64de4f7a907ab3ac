package io.webhookd.loadtest;

import io.webhookd.WebhookVerifier;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * What one webhook URL of the receiver has seen: requests, accepted messages, unique messages (by
 * the payload's {@code seq}), duplicates, bad signatures, and produce→receive latency of each
 * message's first delivery. Thread-safe.
 */
final class Channel {
  /** One delivered message as the receiver read it. */
  record Msg(int seq, String topic, int partition, long offset, long producedMs) {}

  /** Told of every accepted request (on the receiver's threads). */
  interface Sink {
    void accepted(String batchId, long receivedMs, List<Msg> messages);
  }

  final String name;
  final @Nullable WebhookVerifier verifier;
  private final @Nullable Sink sink;
  final AtomicLong requests = new AtomicLong();
  final AtomicLong accepted = new AtomicLong();
  final AtomicLong refused = new AtomicLong();
  final AtomicLong badSignature = new AtomicLong();
  final AtomicLong badBody = new AtomicLong();
  final AtomicLong messages = new AtomicLong();
  volatile @Nullable String lastProblem;
  private final BitSet seen = new BitSet();
  private long unique;
  private long firstMs;
  private long lastNewMs;
  private volatile long latencyFromMs;
  final LatencyHistogram latency = new LatencyHistogram();

  Channel(String name, @Nullable WebhookVerifier verifier, @Nullable Sink sink) {
    this.name = name;
    this.verifier = verifier;
    this.sink = sink;
  }

  /** Only messages produced at or after this time count towards the latency figures. */
  void latencyFrom(long epochMs) {
    this.latencyFromMs = epochMs;
  }

  void accept(String batchId, long receivedMs, List<Msg> batch) {
    accepted.incrementAndGet();
    messages.addAndGet(batch.size());
    long from = latencyFromMs;
    synchronized (this) {
      if (firstMs == 0) {
        firstMs = receivedMs;
      }
      for (Msg m : batch) {
        if (m.seq() >= 0 && !seen.get(m.seq())) {
          seen.set(m.seq());
          unique++;
          lastNewMs = receivedMs;
          if (m.producedMs() >= from) {
            latency.record(receivedMs - m.producedMs());
          }
        }
      }
    }
    if (sink != null) {
      sink.accepted(batchId, receivedMs, batch);
    }
  }

  synchronized long unique() {
    return unique;
  }

  synchronized long firstMs() {
    return firstMs;
  }

  synchronized long lastNewMs() {
    return lastNewMs;
  }

  synchronized boolean seen(int seq) {
    return seen.get(seq);
  }

  Map<String, Object> stats() {
    Map<String, Object> m = new LinkedHashMap<>();
    long u = unique();
    m.put("requests", requests.get());
    m.put("accepted_requests", accepted.get());
    m.put("refused_requests", refused.get());
    m.put("bad_signature", badSignature.get());
    m.put("bad_body", badBody.get());
    m.put("messages", messages.get());
    m.put("unique", u);
    m.put("duplicates", messages.get() - u);
    m.put("first_ms", firstMs());
    m.put("last_new_ms", lastNewMs());
    m.put("latency", latency.summary());
    String p = lastProblem;
    if (p != null) {
      m.put("last_problem", p);
    }
    return m;
  }
}
