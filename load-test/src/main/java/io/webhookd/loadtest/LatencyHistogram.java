package io.webhookd.loadtest;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Latencies in whole milliseconds (Kafka record timestamps have millisecond resolution), counted
 * exactly up to 10 minutes; percentiles are exact at that resolution. Thread-safe.
 */
final class LatencyHistogram {
  private static final int MAX = 600_000;
  private final long[] counts = new long[MAX + 1];
  private long count;
  private long sum;
  private long min = Long.MAX_VALUE;
  private long max = Long.MIN_VALUE;

  synchronized void record(long millis) {
    long v = Math.max(0, millis);
    counts[(int) Math.min(v, MAX)]++;
    count++;
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }

  synchronized long count() {
    return count;
  }

  /** The smallest value with at least {@code q} of the values at or below it; -1 when empty. */
  synchronized long percentile(double q) {
    if (count == 0) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(q * count));
    long seen = 0;
    for (int i = 0; i <= MAX; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return i == MAX ? max : i;
      }
    }
    return max;
  }

  /** count, min, mean, p50, p95, p99, p99.9, max (ms). */
  synchronized Map<String, Object> summary() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", count);
    if (count == 0) {
      return m;
    }
    m.put("min_ms", min);
    m.put("mean_ms", Math.round(10.0 * sum / count) / 10.0);
    m.put("p50_ms", percentile(0.50));
    m.put("p95_ms", percentile(0.95));
    m.put("p99_ms", percentile(0.99));
    m.put("p999_ms", percentile(0.999));
    m.put("max_ms", max);
    return m;
  }
}
