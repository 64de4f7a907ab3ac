package io.webhookd.internal;

import io.webhookd.DeadLetter;
import io.webhookd.Health;
import io.webhookd.OnExhausted;
import io.webhookd.SubscriptionSpec;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.Retrier;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.spi.WebhookDestination;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The send and complete path of a subscription: sends batches (signed, with the subscription's
 * headers), takes their outcomes back from the destination's threads, and turns each into what
 * follows: a delivered batch frees its partitions for the next and lets the commit point move; a
 * failed one is retried after the retrier's delay (or a longer {@code Retry-After}), the health
 * turning unhealthy once {@code max_retries} is exhausted; a batch given up (a revoke, a stop)
 * rewinds its partitions so that its messages are read again, and while its request is still
 * open it fences them ({@link Fences}).
 *
 * <p>Not thread-safe: used on the subscription's consumer thread, except that the destination's
 * threads hand outcomes over through a queue.
 */
final class Deliveries {
  private static final Logger log = LoggerFactory.getLogger(Deliveries.class);
  private static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

  /** A request's outcome, handed from the destination's thread to the consumer thread. */
  record Completion(Batch batch, DeliveryResult result) {}

  /** What the runner is told of the outcomes that concern more than this path. */
  interface Outcomes {
    void healthChanged(Health from, Health to, DeliveryResult last);

    /** The webhook answered 410 Gone. */
    void gone(DeliveryResult result);
  }

  private final String subscriptionId;
  private final SubscriptionSpec.Retry retryConfig;
  private final Retrier retrier;
  private final WebhookDestination destination;
  private final SubscriptionListener listener;
  private final Reporter reporter;
  private final Metrics.SubscriptionMetrics metrics;
  private final HealthTracker health;
  private final Outcomes outcomes;
  private final Fences fences;
  private final Partitions partitions;
  private final RequestMaker requests;
  private final long answerWithinNanos;
  /** Wakes the consumer when it polls, so that an outcome is handled at once. */
  private final Runnable wake;
  private final DeadLettering deadLettering;

  private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
  /** Batches whose request is open (by identity: a batch read again may get an id already out). */
  private final Set<Batch> inFlight = new LinkedHashSet<>();
  private final PriorityQueue<Batch> retrying = new PriorityQueue<>(Comparator.comparingLong(b -> b.nextAttemptAt));
  /** Stopping: a failure is not retried here any more; the batch is given up and read again later. */
  private boolean stopping;
  /** The partitions being let go while a revoke waits: their failed batches are given up, not retried. */
  private Collection<TopicPartition> releasing = List.of();

  Deliveries(
      String subscriptionId, SubscriptionSpec.Retry retryConfig, Retrier retrier, WebhookDestination destination,
      SubscriptionListener listener, Reporter reporter, Metrics.SubscriptionMetrics metrics, HealthTracker health,
      Outcomes outcomes, Fences fences, Partitions partitions, RequestMaker requests, Duration requestTimeout,
      Runnable wake, DeadLettering deadLettering) {
    this.subscriptionId = subscriptionId;
    this.retryConfig = retryConfig;
    this.retrier = retrier;
    this.destination = destination;
    this.listener = listener;
    this.reporter = reporter;
    this.metrics = metrics;
    this.health = health;
    this.outcomes = outcomes;
    this.fences = fences;
    this.partitions = partitions;
    this.requests = requests;
    this.answerWithinNanos = requestTimeout.toNanos() + SubscriptionRunner.ANSWER_MARGIN_NANOS;
    this.wake = wake;
    this.deadLettering = deadLettering;
  }

  /** Batches in flight or waiting to be retried. */
  int outstanding() {
    return inFlight.size() + retrying.size();
  }

  /** Whether an outcome waits to be handled. */
  boolean hasCompletions() {
    return !completions.isEmpty();
  }

  /** Messages in batches in flight or waiting to be retried. */
  long messagesOut() {
    long n = 0;
    for (Batch b : inFlight) {
      n += b.messages.size();
    }
    for (Batch b : retrying) {
      n += b.messages.size();
    }
    return n;
  }

  // ------------------------------------------------------------------ sending

  /** Sends a batch's next attempt. */
  void send(Batch b, long now) {
    b.attempts++;
    RequestMaker.Attempt attempt = requests.attempt(b);
    DeliveryRequest req = attempt.request();
    b.request = req;
    Fences.Request open = fences.opened(List.copyOf(b.firstOffsets.keySet()), now + answerWithinNanos);
    b.open = open;
    inFlight.add(b);
    if (b.attempts == 1) {
      listener.batchStarted(subscriptionId, b.id, b.messages.size());
    }
    CompletableFuture<DeliveryResult> f;
    try {
      f = destination.send(req);
    } catch (RuntimeException e) {
      f = CompletableFuture.completedFuture(DeliveryResult.failure(e, Duration.ZERO, true));
    }
    f.whenComplete(
        (r, e) -> {
          fences.answered(open);
          DeliveryResult result = e != null ? DeliveryResult.failure(e, Duration.ofNanos(System.nanoTime() - now), true) : r;
          attempt.trace().end(result);
          completions.add(new Completion(b, result));
          wake.run();
        });
  }

  /** The retry due first, taken off the queue when it is due now; {@code null} when none is. */
  @Nullable Batch dueRetry(long now) {
    Batch b = retrying.peek();
    return b != null && b.nextAttemptAt <= now ? retrying.poll() : null;
  }

  /** Nanoseconds until the next retry is due; {@code Long.MAX_VALUE} when none waits. */
  long nanosUntilRetry(long now) {
    Batch b = retrying.peek();
    return b == null ? Long.MAX_VALUE : Math.max(0, b.nextAttemptAt - now);
  }

  // ------------------------------------------------------------------ outcomes

  /** Handles every outcome that arrived. */
  void drain() {
    Completion c;
    while ((c = completions.poll()) != null) {
      complete(c);
    }
  }

  private void complete(Completion c) {
    Batch b = c.batch();
    inFlight.remove(b);
    if (b.abandoned) {
      return;
    }
    DeliveryResult r = c.result();
    Instant at = Instant.now();
    reporter.activity(subscriptionId, Activity.apiCall(b.request, requests.requestLine(), r, b.messages.size(), b.id, at));
    if (r.isSuccess()) {
      delivered(b, r, at);
    } else {
      failed(b, r, at);
    }
  }

  /** The batch's messages are accepted (delivered or dead-lettered): its partitions may go on and commit past it. */
  private void release(Batch b) {
    for (Batch.Slice s : b.slices) {
      PartitionState ps = partitions.get(s.tp());
      if (ps != null && ps.batches.remove(b)) {
        partitions.buffered(ps.settle(b, s.from(), s.to(), true));
      }
    }
    partitions.markDone();
  }

  private void delivered(Batch b, DeliveryResult r, Instant at) {
    metrics.attempt("success", r.duration().toNanos());
    release(b);
    if (b.skipRequestedBy != null) {
      log.info("batch {} of subscription {} was delivered before it could be skipped", b.id, subscriptionId);
    }
    int n = b.messages.size();
    metrics.delivered(n);
    long nowMs = at.toEpochMilli();
    for (Pending p : b.messages) {
      if (p.timestamp() > 0) {
        metrics.endToEnd(Math.max(0, nowMs - p.timestamp()));
      }
    }
    Health before = health.success(r, n, at);
    reporter.health(subscriptionId, health.snapshot());
    listener.batchDelivered(subscriptionId, b.id, n, r);
    if (before == Health.UNHEALTHY) {
      log.info("subscription {} delivered again after being unhealthy", subscriptionId);
      listener.healthChanged(subscriptionId, Health.UNHEALTHY, Health.HEALTHY);
      outcomes.healthChanged(Health.UNHEALTHY, Health.HEALTHY, r);
    }
  }

  private void failed(Batch b, DeliveryResult r, Instant at) {
    metrics.attempt(r.statusCode() >= 0 ? "http_error" : "failure", r.duration().toNanos());
    b.lastResult = r;
    boolean exhausted = b.attempts > retryConfig.maxRetries();
    boolean deadLetter =
        b.skipRequestedBy != null || (exhausted && retryConfig.onExhausted() == OnExhausted.DEAD_LETTER);
    Duration delay = retrier.delay(b.attempts);
    Duration retryAfter = retryAfter(r);
    if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
      delay = retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
    }
    // under dead_letter, exhausting the retries moves the batch on instead of making the subscription unhealthy
    Health before = health.failure(r, exhausted && !deadLetter, at);
    reporter.health(subscriptionId, health.snapshot());
    long delayMs = delay.toMillis();
    log.debug("batch {} of subscription {} failed (attempt {}): {}; retrying in {} ms", b.id, subscriptionId, b.attempts, r, delayMs);
    listener.batchFailed(subscriptionId, b.id, b.attempts, r, delayMs);
    if (stopping) {
      abandon(b, "engine stopping");
      return;
    }
    if (b.touches(releasing)) {
      abandon(b, "partitions revoked", releasing); // the partitions' next owner sends it again
      return;
    }
    if (deadLetter
        && moveToDeadLetters(b, r, b.skipRequestedBy != null ? DeadLetter.SKIPPED : DeadLetter.RETRIES_EXHAUSTED,
            b.skipRequestedBy)) {
      return;
    }
    b.nextAttemptAt = System.nanoTime() + delay.toNanos();
    retrying.add(b);
    if (exhausted && !deadLetter && before != Health.UNHEALTHY) {
      log.warn("subscription {} is unhealthy: {} attempts of batch {} failed, last {}; retrying every {} ms",
          subscriptionId, b.attempts, b.id, r, delayMs);
      listener.healthChanged(subscriptionId, before, Health.UNHEALTHY);
      outcomes.healthChanged(before, Health.UNHEALTHY, r);
    }
    if (r.statusCode() == 410) {
      outcomes.gone(r);
    }
  }

  /**
   * Writes the batch to the dead letters and, once they are durable, releases it like a delivered
   * one. False when the store could not write them: the batch is then retried as usual (and moved
   * again after its next failure), never lost.
   */
  private boolean moveToDeadLetters(Batch b, @Nullable DeliveryResult last, String reason, @Nullable String who) {
    try {
      deadLettering.write(subscriptionId, b, last, reason, who);
    } catch (RuntimeException e) {
      log.warn("batch {} of subscription {} could not be written to the dead letters ({}); it stays pending and is retried",
          b.id, subscriptionId, e.toString());
      return false;
    }
    log.info("batch {} of subscription {} ({} messages) moved to the dead letters: {}", b.id, subscriptionId,
        b.messages.size(), reason);
    release(b);
    listener.batchDeadLettered(subscriptionId, b.id, b.messages.size(), reason);
    return true;
  }

  /**
   * An operator skips a failing batch: one waiting for its retry goes to the dead letters now; one
   * in flight again goes there if this attempt fails too. False when no batch of that id has
   * failed here (unknown, delivered, or never failed).
   */
  boolean skip(String batchId, @Nullable String who) {
    for (Batch b : retrying) {
      if (b.id.equals(batchId)) {
        if (!moveToDeadLetters(b, b.lastResult, DeadLetter.SKIPPED, who)) {
          throw new io.webhookd.WebhookdException("the dead letters could not be written; the batch stays pending");
        }
        retrying.remove(b);
        deadLettering.skipped(subscriptionId);
        return true;
      }
    }
    for (Batch b : inFlight) {
      if (b.id.equals(batchId) && b.lastResult != null && !b.abandoned) {
        b.skipRequestedBy = who == null ? "" : who;
        deadLettering.skipped(subscriptionId);
        return true;
      }
    }
    return false;
  }

  private static @Nullable Duration retryAfter(DeliveryResult r) {
    String v = r.header("retry-after").orElse(null);
    if (v == null) {
      return null;
    }
    v = v.trim();
    try {
      long s = Long.parseLong(v);
      return s < 0 ? null : Duration.ofSeconds(s);
    } catch (NumberFormatException e) {
      try {
        Instant when = java.time.ZonedDateTime.parse(v, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration d = Duration.between(Instant.now(), when);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (RuntimeException e2) {
        return null;
      }
    }
  }

  // ------------------------------------------------------------------ giving up

  /** The batch will not be delivered by this consumer: its messages will be read again. */
  void abandon(Batch b, String reason) {
    abandon(b, reason, List.of());
  }

  /**
   * The batch will not be delivered by this consumer: its partitions (other than {@code gone}
   * ones) are rewound to their commit points (its first messages with partition order; with
   * several batches of a partition out, the oldest undelivered message), from which they are read
   * and sent again; while its request is open, it fences its partitions.
   */
  void abandon(Batch b, String reason, Collection<TopicPartition> gone) {
    if (b.abandoned) {
      return;
    }
    b.abandoned = true;
    retrying.remove(b);
    if (b.open != null) {
      fences.giveUp(b.open); // a no-op when its request answered already
    }
    for (Batch.Slice s : b.slices) {
      PartitionState ps = partitions.get(s.tp());
      if (ps != null && ps.batches.remove(b)) {
        // messages that waited for its keys go back to the buffer (and count as buffered) before
        // the partition is rewound or forgotten, which drops the buffer and uncounts them
        partitions.buffered(ps.settle(b, s.from(), s.to(), false));
        if (!gone.contains(s.tp())) {
          partitions.rewind(ps);
        }
      }
    }
    listener.batchAbandoned(subscriptionId, b.id, reason);
  }

  /** Gives up every batch that holds messages of {@code gone} (they are let go: nothing to rewind). */
  void abandonTouching(Collection<TopicPartition> gone, String reason) {
    List<Batch> affected = new ArrayList<>();
    for (Batch b : inFlight) {
      if (b.touches(gone)) {
        affected.add(b);
      }
    }
    for (Batch b : retrying) {
      if (b.touches(gone)) {
        affected.add(b);
      }
    }
    for (Batch b : affected) {
      abandon(b, reason, gone);
    }
  }

  /** Gives up every batch waiting to be retried (they are read again). */
  void abandonRetries(String reason) {
    for (Batch b : new ArrayList<>(retrying)) {
      abandon(b, reason);
    }
  }

  /** Gives up every batch in flight; {@code rewind} false when the consumer is dead (nothing to rewind). */
  void abandonInFlight(String reason, boolean rewind) {
    for (Batch b : new ArrayList<>(inFlight)) {
      abandon(b, reason, rewind ? List.of() : b.firstOffsets.keySet());
    }
    if (!rewind) {
      retrying.clear();
    }
  }

  // ------------------------------------------------------------------ waiting on stops and revokes

  /** From now on a failure is not retried here: stopping. */
  void stopping() {
    stopping = true;
  }

  /**
   * Waits until no request holding messages of {@code gone} is open, or until the last of them is
   * past its answer deadline, or {@code giveUp} says so. Outcomes that arrive meanwhile are
   * handled as usual, except that a failed batch of {@code gone} is given up instead of retried.
   */
  void awaitOpenRequests(Collection<TopicPartition> gone, BooleanSupplier giveUp) {
    releasing = gone;
    try {
      long deadline = Long.MIN_VALUE;
      for (Batch b : inFlight) {
        if (!b.abandoned && b.touches(gone)) {
          deadline = Math.max(deadline, b.open == null ? System.nanoTime() : b.open.deadlineNanos);
        }
      }
      while (inFlightTouching(gone) && System.nanoTime() - deadline < 0 && !giveUp.getAsBoolean()) {
        if (!pollOne(deadline - System.nanoTime())) {
          return;
        }
      }
    } finally {
      releasing = List.of();
    }
  }

  /** Handles outcomes of batches in flight until none is left, {@code deadline} passes, or {@code giveUp} says so. */
  void awaitInFlight(long deadline, BooleanSupplier giveUp) {
    while (!inFlight.isEmpty() && System.nanoTime() - deadline < 0 && !giveUp.getAsBoolean()) {
      if (!pollOne(deadline - System.nanoTime())) {
        return;
      }
    }
  }

  /**
   * Waits, without handling them (a dead runner commits nothing), until every request this runner
   * sent has answered or is past its deadline, or {@code giveUp} says so.
   */
  void awaitAnswers(BooleanSupplier giveUp) {
    for (Batch b : new ArrayList<>(inFlight)) {
      Fences.Request r = b.open;
      if (r == null) {
        continue;
      }
      while (r.isOpen() && System.nanoTime() - r.deadlineNanos < 0 && !giveUp.getAsBoolean()) {
        try {
          completions.poll(Math.min(r.deadlineNanos - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Handles the next outcome, waiting at most {@code nanos} (and 100 ms); false when interrupted. */
  private boolean pollOne(long nanos) {
    try {
      Completion c = completions.poll(Math.max(0, Math.min(nanos, TimeUnit.MILLISECONDS.toNanos(100))), TimeUnit.NANOSECONDS);
      if (c != null) {
        complete(c);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private boolean inFlightTouching(Collection<TopicPartition> tps) {
    for (Batch b : inFlight) {
      if (!b.abandoned && b.touches(tps)) {
        return true;
      }
    }
    return false;
  }
}
