package io.webhookd.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests of one subscription that are still open on this engine although no runner tracks
 * their batch any more: a batch given up on a revoke, a stop or a crash whose HTTP request has not
 * answered yet. Each fences its partitions: no new batch of a fenced partition may be sent until
 * the request answers or its deadline (the request timeout plus a margin) passes, so that two
 * requests holding messages of one partition are never open at once, whatever happened to the
 * runner in between. The engine keeps one per subscription, across the subscription's runners.
 *
 * <p>Thread-safe: runners fence and check on their consumer threads; requests answer on the
 * destination's threads.
 */
final class Fences {
  private static final Logger log = LoggerFactory.getLogger(Fences.class);

  /** One request: open until it answers. */
  static final class Request {
    final List<TopicPartition> partitions;
    final long deadlineNanos;
    private volatile boolean open = true;
    private boolean fenced;

    Request(List<TopicPartition> partitions, long deadlineNanos) {
      this.partitions = partitions;
      this.deadlineNanos = deadlineNanos;
    }

    /** Whether the request has not answered yet. */
    boolean isOpen() {
      return open;
    }
  }

  private final String subscriptionId;
  private final Map<TopicPartition, List<Request>> fenced = new HashMap<>();
  /** How many requests are fenced: checked without the lock on the hot path. */
  private volatile int count;
  private final AtomicReference<@Nullable Runnable> onRelease = new AtomicReference<>();

  Fences(String subscriptionId) {
    this.subscriptionId = subscriptionId;
  }

  /** Called (on any thread) whenever a fence is lifted; the current runner wakes its consumer. */
  void onRelease(Runnable r) {
    onRelease.set(r);
  }

  /** Stops calling {@code r} (unless a later runner replaced it already). */
  void clearOnRelease(Runnable r) {
    onRelease.compareAndSet(r, null);
  }

  /**
   * A request is about to be sent. It must be {@link #answered} when it completes, whatever
   * happens to its runner.
   */
  Request opened(List<TopicPartition> partitions, long deadlineNanos) {
    return new Request(partitions, deadlineNanos);
  }

  /** The request answered (on the destination's thread): its fence, if any, is lifted. */
  void answered(Request r) {
    boolean lifted;
    synchronized (this) {
      r.open = false;
      lifted = r.fenced;
      if (lifted) {
        remove(r);
      }
    }
    if (lifted) {
      Runnable wake = onRelease.get();
      if (wake != null) {
        wake.run();
      }
    }
  }

  /** The runner no longer tracks the request's batch: while it is open, it fences its partitions. */
  synchronized void giveUp(Request r) {
    if (!r.open || r.fenced) {
      return;
    }
    r.fenced = true;
    for (TopicPartition tp : r.partitions) {
      fenced.computeIfAbsent(tp, k -> new ArrayList<>(1)).add(r);
    }
    count++;
  }

  /** Whether no new batch of {@code tp} may be sent now. */
  boolean blocks(TopicPartition tp, long now) {
    if (count == 0) {
      return false;
    }
    synchronized (this) {
      List<Request> rs = fenced.get(tp);
      if (rs == null) {
        return false;
      }
      for (Iterator<Request> it = rs.iterator(); it.hasNext(); ) {
        Request r = it.next();
        if (now - r.deadlineNanos >= 0) {
          log.warn(
              "subscription {}: a request for {} did not answer within the request timeout; its partitions are no longer"
                  + " held for it",
              subscriptionId, r.partitions);
          it.remove();
          r.fenced = false;
          removeOthers(r, tp);
          count--;
        }
      }
      if (rs.isEmpty()) {
        fenced.remove(tp);
        return false;
      }
      return true;
    }
  }

  /** The earliest deadline of a fence, or {@code Long.MAX_VALUE} when nothing is fenced. */
  long nextDeadline(long now) {
    if (count == 0) {
      return Long.MAX_VALUE;
    }
    synchronized (this) {
      long min = Long.MAX_VALUE;
      for (List<Request> rs : fenced.values()) {
        for (Request r : rs) {
          min = Math.min(min, r.deadlineNanos - now);
        }
      }
      return min == Long.MAX_VALUE ? min : now + Math.max(0, min);
    }
  }

  /** How many requests fence partitions now (for tests and status). */
  int size() {
    return count;
  }

  private void remove(Request r) {
    for (TopicPartition tp : r.partitions) {
      List<Request> rs = fenced.get(tp);
      if (rs != null) {
        rs.remove(r);
        if (rs.isEmpty()) {
          fenced.remove(tp);
        }
      }
    }
    count--;
  }

  private void removeOthers(Request r, TopicPartition except) {
    for (TopicPartition tp : r.partitions) {
      if (!tp.equals(except)) {
        List<Request> rs = fenced.get(tp);
        if (rs != null) {
          rs.remove(r);
          if (rs.isEmpty()) {
            fenced.remove(tp);
          }
        }
      }
    }
  }
}
