package io.webhookd.internal;

import io.webhookd.ActivityEvent;
import io.webhookd.Health;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.spi.Batcher;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.Retrier;
import io.webhookd.spi.SubscriptionListener;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one subscription on one thread that owns its Kafka consumer: polls, hands the records to
 * {@link RecordIntake}, starts the batches {@link BatchAssembler} forms (and the retries that are
 * due) through {@link Deliveries}, as fast as the rate limit allows, commits through {@link
 * Partitions}, and lets partitions go when Kafka moves them.
 *
 * <p>The promise: an offset is committed only past messages delivered or filtered out
 * ({@link Partitions}); a runner that crashed or was abandoned commits nothing more, from any path
 * (the consumer's {@code close()} runs the revoke callback). Order follows the subscription's
 * {@code ordering} ({@link BatchAssembler}): with {@code partition} never two requests holding
 * messages of one partition are open at once (a partition's next batch waits for its batch out);
 * with {@code key} never two holding messages of one key of a partition; with {@code none} up to
 * {@code max_in_flight} of anything. In every mode at most {@code max_in_flight} batches are out
 * (in flight or waiting to be retried) across the partitions, and a request that outlives its
 * batch's tracking (a revoke that gave up on it, a stop, a crash) fences its partitions in the
 * subscription's {@link Fences}, which outlive this runner: nothing new of those partitions is
 * sent while any such request is open. On revoke the runner waits for every open request of the
 * revoked partitions, up to the request timeout plus {@link #ANSWER_MARGIN_NANOS}, before it
 * commits and lets the partitions go, so the next owner (this engine or another) never overlaps
 * any of them.
 *
 * <p>Thread-safety: {@link #requestStop}, {@link #awaitStopped} and {@link #lag} may be called
 * from any thread; everything else runs on the runner's thread.
 */
final class SubscriptionRunner implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(SubscriptionRunner.class);
  private static final long LAG_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
  /**
   * The floor of the span limit (messages read past a partition's commit point) with several
   * batches of a partition in flight; see {@link #maxSpan}.
   */
  static final int MIN_SPAN = 10_000;

  /**
   * How long after its request timeout a request may still answer: the destination's contract
   * allows "a small margin". A revoke waits this long past the timeout; a fence expires then.
   */
  static final long ANSWER_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(5);

  /** How the runner ends. */
  enum StopMode {
    /** Finish in-flight requests (bounded), commit what was delivered, leave the group. */
    GRACEFUL,
    /**
     * Like a process that died: stop at once, wait for nothing, commit nothing more, stay in the
     * group until the session times out. For tests of recovery.
     */
    ABANDON
  }

  /** The engine's side: what the runner needs and tells. */
  interface Host {
    Engine.Config config();

    /** The transport of the subscription's URL scheme. */
    io.webhookd.spi.WebhookDestination destination(Subscription s);

    /** The engine's listeners, each call guarded: a listener that throws is logged and ignored. */
    SubscriptionListener listener();

    Reporter reporter();

    Metrics metrics();

    /** The trace of each delivery attempt; default propagation only. */
    default Tracing tracing() {
      return Tracing.PROPAGATE;
    }

    List<String> rowFilters(Subscription s, String topic);

    Consumer<byte[], byte[]> newConsumer(Subscription s);

    Batcher batcher(Subscription s);

    Retrier retrier(Subscription s);

    /** The subscription's fences on this engine, shared by its successive runners. */
    Fences fences(String subscriptionId);

    void healthChanged(SubscriptionRunner runner, Health from, Health to, @Nullable DeliveryResult last);

    void gone(SubscriptionRunner runner, DeliveryResult result);

    void crashed(SubscriptionRunner runner, Throwable error);

    /** Where batches go when their retries are exhausted under dead_letter, or when they are skipped. */
    DeadLettering deadLettering();
  }

  private final Subscription sub;
  private final SubscriptionSpec spec;
  private final Host host;
  private final String id;
  private final SubscriptionListener listener;
  private final io.webhookd.spi.WebhookDestination destination;
  private final Batcher batcher;
  private final Retrier retrier;
  private final @Nullable RateLimiter limiter;
  private final Metrics.SubscriptionMetrics metrics;
  final HealthTracker health;
  private final RecordIntake intake;
  private final BatchAssembler assembler;
  private final RequestMaker requests;
  private final Fences fences;
  private final Runnable wakeOnRelease = this::wakeIfPolling;
  /** Batches in flight or waiting to be retried, at most, across the partitions. */
  private final int maxInFlight;

  private final AtomicBoolean polling = new AtomicBoolean();
  /** Skips asked from other threads, done on the consumer thread. */
  private final java.util.concurrent.ConcurrentLinkedQueue<SkipRequest> skips = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private record SkipRequest(String batchId, @Nullable String who, java.util.concurrent.CompletableFuture<Boolean> done) {}
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread thread;
  private volatile boolean stopRequested;
  private volatile StopMode stopMode = StopMode.GRACEFUL;
  private volatile long lag = -1;

  // consumer-thread state, made once the consumer exists
  private @Nullable Consumer<byte[], byte[]> consumer;
  private volatile @Nullable Consumer<byte[], byte[]> given;
  private @Nullable Partitions partitions;
  private @Nullable Deliveries deliveries;
  private long lastLagNanos;
  /** Crashed or abandoned: nothing may be committed any more, from any path. */
  private boolean dead;

  SubscriptionRunner(Subscription sub, Host host, io.webhookd.@Nullable HealthDetails stored) {
    this.sub = sub;
    this.spec = sub.spec();
    this.host = host;
    this.id = sub.id();
    this.listener = host.listener();
    this.destination = host.destination(sub);
    this.batcher = host.batcher(sub);
    this.retrier = host.retrier(sub);
    this.limiter = spec.rateLimit() == null ? null : new RateLimiter(spec.rateLimit().maxRequestsPerSecond(), System.nanoTime());
    this.health = new HealthTracker(stored, Instant.now());
    this.metrics = host.metrics().forSubscription(id, () -> Math.max(0, lag));
    MessageEncoder encoder = new MessageEncoder();
    this.intake = new RecordIntake(sub, host::rowFilters, encoder, metrics);
    this.fences = host.fences(id);
    this.assembler = new BatchAssembler(id, batcher, fences, encoder, spec.delivery().ordering());
    this.maxInFlight = spec.delivery().maxInFlight();
    this.requests = new RequestMaker(id, spec.destination(), host.config().requestTimeout(), host.tracing());
    this.thread = new Thread(this, "webhookd-" + id.substring(0, Math.min(8, id.length())));
    this.thread.setDaemon(false);
  }

  Subscription subscription() {
    return sub;
  }

  void start() {
    thread.start();
  }

  /** Reads from this consumer (a {@link FedConsumer}) instead of one of its own; before {@link #start}. */
  void readFrom(Consumer<byte[], byte[]> given) {
    this.given = given;
  }

  /** The consumer given with {@link #readFrom}, or null when the runner makes its own. */
  @Nullable Consumer<byte[], byte[]> given() {
    return given;
  }

  /**
   * Messages from the committed offset to the log end of the partitions this runner holds, or -1
   * while unknown; measured every 250 ms.
   */
  long lag() {
    return lag;
  }

  /** The interval between attempts once {@code max_retries} is exhausted, as this runner's retrier says. */
  Duration exhaustedRetryInterval() {
    return retrier.delay(spec.retry().maxRetries() + 1);
  }

  void requestStop(StopMode mode) {
    stopMode = mode;
    stopRequested = true;
    wakeConsumer();
  }

  private void wakeConsumer() {
    Consumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  private void wakeIfPolling() {
    if (polling.get()) {
      wakeConsumer();
    }
  }

  /**
   * Moves the failing batch {@code batchId} to the dead letters (or, while it is in flight again,
   * as soon as that attempt fails). False when this runner holds no such failing batch.
   */
  boolean skip(String batchId, @Nullable String who) {
    SkipRequest req = new SkipRequest(batchId, who, new java.util.concurrent.CompletableFuture<>());
    skips.add(req);
    wakeConsumer();
    try {
      return req.done().get(host.config().requestTimeout().plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      log.warn("skip of batch {} of subscription {} did not complete: {}", batchId, id, e.toString());
      return false;
    } finally {
      skips.remove(req);
    }
  }

  private void handleSkips(Deliveries out) {
    SkipRequest req;
    while ((req = skips.poll()) != null) {
      boolean done;
      try {
        done = out.skip(req.batchId(), req.who());
      } catch (RuntimeException e) {
        req.done().completeExceptionally(e);
        continue;
      }
      req.done().complete(done);
    }
  }

  private boolean abandoning() {
    return stopRequested && stopMode == StopMode.ABANDON;
  }

  /** Nothing is committed once the runner crashed, or from the moment it is told to stop as a dead process would. */
  private boolean mayCommit() {
    return !dead && !abandoning();
  }

  boolean awaitStopped(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void run() {
    MDC.put("subscription_id", id);
    Throwable crash = null;
    try {
      Consumer<byte[], byte[]> g = given;
      Consumer<byte[], byte[]> c = g != null ? g : host.newConsumer(sub);
      consumer = c;
      // Measured (load-test bench, 3 partitions, batch 100): pausing at 500 buffered messages
      // halved throughput, since every pause and resume costs the partition its fetch pipeline.
      partitions = new Partitions(id, c, this::mayCommit, Math.max(20 * batcher.maxBatchSize(), 2000), maxSpan());
      deliveries =
          new Deliveries(
              id, spec.retry(), retrier, destination, listener, host.reporter(), metrics, health,
              new Deliveries.Outcomes() {
                @Override
                public void healthChanged(Health from, Health to, DeliveryResult last) {
                  host.healthChanged(SubscriptionRunner.this, from, to, last);
                }

                @Override
                public void gone(DeliveryResult result) {
                  host.gone(SubscriptionRunner.this, result);
                }
              },
              fences, partitions, requests, host.config().requestTimeout(), this::wakeIfPolling,
              host.deadLettering());
      if (stopRequested) {
        return;
      }
      fences.onRelease(wakeOnRelease);
      c.subscribe(spec.topics(), new Rebalance());
      listener.started(id);
      loop(c, partitions, deliveries);
    } catch (Throwable t) {
      crash = t;
    } finally {
      fences.clearOnRelease(wakeOnRelease);
      try {
        finish(crash != null);
      } catch (Throwable t) {
        log.warn("error while stopping subscription {}: {}", id, t.toString());
      }
      metrics.close();
      SkipRequest left;
      while ((left = skips.poll()) != null) {
        left.done().complete(false);
      }
      stopped.countDown();
      if (crash != null && !stopRequested) {
        log.error("subscription {} stopped unexpectedly; it will be restarted", id, crash);
        host.crashed(this, crash);
      }
      MDC.remove("subscription_id");
    }
  }

  /**
   * With several batches of a partition in flight ({@code key}, {@code none}), answers come back
   * out of order and the commit point can trail what was delivered; a partition is paused once
   * this many messages were read past its commit point, which bounds what a crash delivers again.
   * Twice a full pipeline (max_in_flight batches of max_batch_size, all of one partition), so that
   * a healthy run never reaches it: the oldest batch out may be the last to answer while the
   * others are answered and replaced once; it is reached when a message at the commit point is
   * held up (its key failing, a slow answer). At least {@link #MIN_SPAN}, the read-ahead of the
   * default batch size. 0 (not bounded so) with partition order, where the span is at most the
   * buffer and one batch.
   */
  private int maxSpan() {
    if (spec.delivery().ordering() == io.webhookd.Ordering.PARTITION) {
      return 0;
    }
    return (int) Math.min(Integer.MAX_VALUE / 2, Math.max(MIN_SPAN, 2L * batcher.maxBatchSize() * maxInFlight));
  }

  private void loop(Consumer<byte[], byte[]> c, Partitions parts, Deliveries out) {
    while (!stopRequested) {
      long now = System.nanoTime();
      out.drain();
      handleSkips(out);
      startDue(parts, out, now);
      parts.maybeCommit(now);
      maybeMeasureLag(parts, now);
      long timeout = out.hasCompletions() || stopRequested ? 0 : pollTimeout(parts, out, System.nanoTime());
      ConsumerRecords<byte[], byte[]> records;
      polling.set(true);
      try {
        records = c.poll(Duration.ofNanos(timeout));
      } catch (WakeupException e) {
        records = ConsumerRecords.empty();
      } finally {
        polling.set(false);
      }
      if (!records.isEmpty()) {
        intake.take(records, parts, System.nanoTime());
      }
      parts.adjustPauses();
    }
  }

  // ---------------------------------------------------------------- sending

  /** Sends the retries that are due, then new batches, while the rate limiter has tokens. */
  private void startDue(Partitions parts, Deliveries out, long now) {
    Batch retry;
    while (tokenAvailable(now) && (retry = out.dueRetry(now)) != null) {
      takeToken(now);
      out.send(retry, now);
    }
    while (parts.buffered() > 0 && out.outstanding() < maxInFlight && tokenAvailable(now)) {
      BatchAssembler.Due due = assembler.due(parts.all(), out.outstanding() > 0, now);
      if (due == null) {
        return;
      }
      Batch b = assembler.form(due, parts);
      if (b != null) { // null: every message it looked at waits for its key
        takeToken(now);
        out.send(b, now);
      }
    }
  }

  private boolean tokenAvailable(long now) {
    return limiter == null || limiter.nanosUntilToken(now) == 0;
  }

  private void takeToken(long now) {
    if (limiter != null) {
      limiter.tryAcquire(now);
    }
  }

  /**
   * How long the next poll may block: until something is due to be sent (but never before the
   * rate limiter's next token: a full batch or a due retry must not spin the thread while the
   * limiter says no), a commit is due, or a fence may expire.
   */
  private long pollTimeout(Partitions parts, Deliveries out, long now) {
    long t = MAX_POLL_NANOS;
    long send = out.nanosUntilRetry(now);
    if (parts.buffered() > 0 && out.outstanding() < maxInFlight) {
      send = Math.min(send, assembler.nanosUntilDue(parts.all(), out.outstanding() > 0, now));
    }
    if (send != Long.MAX_VALUE) {
      if (limiter != null) {
        send = Math.max(send, limiter.nanosUntilToken(now));
      }
      t = Math.min(t, send);
    }
    t = Math.min(t, parts.nanosUntilCommit(now));
    long fenceDeadline = fences.nextDeadline(now);
    if (fenceDeadline != Long.MAX_VALUE) {
      t = Math.min(t, fenceDeadline - now);
    }
    return Math.max(0, t);
  }

  private void maybeMeasureLag(Partitions parts, long now) {
    if (now - lastLagNanos >= LAG_EVERY_NANOS) {
      lastLagNanos = now;
      lag = parts.lag();
    }
  }

  // ---------------------------------------------------------------- rebalancing and stopping

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      partitions.assigned(assigned);
      log.debug("subscription {} assigned {}", id, assigned);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      release(revoked, true);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      release(lost, false);
    }
  }

  /**
   * Lets partitions go. On a revoke (another member may own them next): waits for their open
   * requests, up to the request timeout plus {@link #ANSWER_MARGIN_NANOS}, commits what was
   * delivered, and gives up on the rest. When they were lost (this member is no longer in the
   * group, someone else may already own them), or when this runner is dead: gives up at once,
   * commits nothing.
   */
  private void release(Collection<TopicPartition> gone, boolean revoked) {
    if (gone.isEmpty()) {
      return;
    }
    Partitions parts = partitions;
    Deliveries out = deliveries;
    polling.set(false);
    try {
      boolean commit = revoked && mayCommit();
      if (commit) {
        out.awaitOpenRequests(gone, this::abandoning);
        if (abandoning()) {
          dead = true;
          commit = false;
        }
      }
      List<PartitionState> goneStates = parts.statesOf(gone);
      if (commit) {
        parts.commitSync(goneStates);
      }
      out.abandonTouching(gone, revoked ? "partitions revoked" : "partitions lost");
      parts.remove(goneStates);
      log.debug("subscription {} released {} (revoked={}, committed={})", id, gone, revoked, commit);
    } finally {
      polling.set(true);
    }
  }

  private void finish(boolean crashed) {
    Consumer<byte[], byte[]> c = consumer;
    Partitions parts = partitions;
    Deliveries out = deliveries;
    if (c == null || parts == null || out == null) {
      return;
    }
    out.stopping();
    if (crashed || stopMode == StopMode.ABANDON) {
      // As a process that died: nothing more is committed (the revoke callback that close() runs
      // included), and open requests fence their partitions until they answer.
      dead = true;
      try {
        if (crashed) {
          // Leaving the group hands the partitions over at once, possibly to another engine, which
          // must not send them while this runner's requests are open: wait for those to answer
          // first (the membership lasts: max.poll.interval.ms is above the request timeout).
          out.awaitAnswers(this::abandoning);
          out.abandonInFlight("crashed", false);
          c.close(Duration.ofSeconds(5));
        } else {
          out.abandonInFlight("abandoned", false);
          c.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP).withTimeout(Duration.ZERO));
        }
      } catch (RuntimeException e) {
        log.debug("closing consumer of {} after {}: {}", id, crashed ? "a crash" : "abandon", e.toString());
      }
      if (crashed) {
        listener.stopped(id, "crashed");
      }
      return;
    }
    long deadline = System.nanoTime() + host.config().shutdownTimeout().toNanos();
    out.abandonRetries("stopping");
    out.awaitInFlight(deadline, this::abandoning);
    out.abandonInFlight("stopping: no response within the shutdown timeout", true);
    if (abandoning()) {
      dead = true;
    } else {
      parts.commitSync(parts.all());
    }
    // what was delivered is committed: the revoke callback that close() runs has nothing left to do
    parts.clear();
    try {
      c.close(Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      log.debug("closing consumer of {}: {}", id, e.toString());
    }
    listener.stopped(id, "stopped");
  }

  void recordState(ActivityEvent.Type type, String message) {
    host.reporter().activity(id, ActivityEvent.stateChange(Instant.now(), type, message));
  }
}
