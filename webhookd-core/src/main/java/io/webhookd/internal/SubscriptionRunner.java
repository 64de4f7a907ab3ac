package io.webhookd.internal;

import io.webhookd.ActivityEvent;
import io.webhookd.Health;
import io.webhookd.Secrets;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.spi.Batcher;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.Retrier;
import io.webhookd.spi.SubscriptionListener;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one subscription on one thread that owns its Kafka consumer: poll, filter, batch, send
 * (asynchronously, several batches at once but never two of one partition), retry, commit.
 *
 * <p>The committed offset of a partition is always the offset of its oldest message that is
 * neither delivered nor filtered out (or the next offset to read when there is none), so a crash
 * at any point re-delivers, and never skips. A record counts only once it is buffered or filtered
 * out: an error while it is handled leaves it to be read again. A runner that crashed or was
 * abandoned commits nothing more, from any path (the consumer's {@code close()} runs the revoke
 * callback). A failed batch keeps its partitions busy: later messages of those partitions wait
 * (their partitions are paused once the buffer is full, while the consumer keeps polling so that
 * it stays in its group).
 *
 * <p>Never two requests holding messages of one partition are open at once: a partition's next
 * batch waits for its busy batch, and a request that outlives its batch's tracking (a revoke that
 * gave up on it, a stop, a crash) fences its partitions in the subscription's {@link Fences},
 * which outlive this runner. On revoke the runner waits for the open requests of the revoked
 * partitions, up to the request timeout plus {@link #ANSWER_MARGIN_NANOS}, before it commits and
 * lets the partitions go, so the next owner (this engine or another) never overlaps them.
 *
 * <p>Thread-safety: {@link #requestStop}, {@link #awaitStopped}, {@link #lag} and {@link
 * #isRunning} may be called from any thread; everything else runs on the runner's thread.
 */
final class SubscriptionRunner implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(SubscriptionRunner.class);
  private static final long COMMIT_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long LAG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
  private static final int MAX_BATCH_BYTES = 10 * 1024 * 1024;
  /** A partition is paused when this much of it waits in memory. */
  private static final int MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
  /**
   * How long after its request timeout a request may still answer: the destination's contract
   * allows "a small margin". A revoke waits this long past the timeout; a fence expires then.
   */
  static final long ANSWER_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

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

    io.webhookd.spi.WebhookDestination destination();

    SubscriptionListener listener();

    Reporter reporter();

    Metrics metrics();

    List<String> rowFilters(Subscription s, String topic);

    Consumer<byte[], byte[]> newConsumer(Subscription s);

    /** The subscription's fences on this engine, shared by its successive runners. */
    Fences fences(String subscriptionId);

    void healthChanged(SubscriptionRunner runner, Health from, Health to, @Nullable DeliveryResult last);

    void gone(SubscriptionRunner runner, DeliveryResult result);

    void crashed(SubscriptionRunner runner, Throwable error);
  }

  private final Subscription sub;
  private final SubscriptionSpec spec;
  private final Host host;
  private final String id;
  private final Batcher batcher;
  private final Retrier retrier;
  private final @Nullable RateLimiter limiter;
  private final @Nullable Signer signer;
  private final Map<String, RecordFilter> filters = new HashMap<>();
  private final MessageEncoder encoder = new MessageEncoder();
  private final Metrics.SubscriptionMetrics metrics;
  final HealthTracker health;
  private final List<DeliveryRequest.Header> staticHeaders;
  /** {@code POST} and the URL with its secrets masked, for the activity records. */
  private final String requestLine;
  /** Batch ids from what a batch holds: the same batch formed again gets the same id. */
  private final BatchIds batchIds;
  private final int maxBuffered;
  private final int maxInFlight;
  private final Fences fences;
  private final Runnable wakeOnRelease = () -> {
    if (this.polling.get()) {
      wakeConsumer();
    }
  };
  private final long answerWithinNanos;

  private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
  private final AtomicBoolean polling = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread thread;
  private volatile boolean stopRequested;
  private volatile StopMode stopMode = StopMode.GRACEFUL;
  private volatile boolean running;
  private volatile long lag = -1;

  // consumer-thread state
  private @Nullable Consumer<byte[], byte[]> consumer;
  private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
  private final Map<String, Batch> inFlight = new LinkedHashMap<>();
  private final PriorityQueue<Batch> retrying = new PriorityQueue<>(Comparator.comparingLong(b -> b.nextAttemptAt));
  private boolean commitDirty;
  private long lastCommitNanos;
  private long lastLagNanos;
  private int buffered;
  private boolean shuttingDown;
  /** Crashed or abandoned: nothing may be committed any more, from any path. */
  private boolean dead;
  /** The partitions being released while a revoke waits: their failed batches are given up, not retried. */
  private Collection<TopicPartition> releasing = List.of();

  SubscriptionRunner(Subscription sub, Host host, io.webhookd.@Nullable HealthSnapshot stored) {
    this.sub = sub;
    this.spec = sub.spec();
    this.host = host;
    this.id = sub.id();
    this.batcher = Batcher.of(spec.batching());
    this.retrier = Retrier.of(spec.retry());
    long now = System.nanoTime();
    this.limiter = spec.rateLimit() == null ? null : new RateLimiter(spec.rateLimit().maxRequestsPerSecond(), now);
    this.signer = spec.destination().signingSecret() == null ? null : new Signer(spec.destination().signingSecret());
    this.health = new HealthTracker(stored, Instant.now());
    this.metrics = host.metrics().forSubscription(id, () -> Math.max(0, lag));
    List<DeliveryRequest.Header> h = new ArrayList<>();
    h.add(new DeliveryRequest.Header("Content-Type", "application/json"));
    h.add(new DeliveryRequest.Header("User-Agent", "webhookd/" + Version.VERSION));
    for (SubscriptionSpec.Header sh : spec.destination().headers()) {
      h.add(new DeliveryRequest.Header(sh.name(), sh.value()));
    }
    this.staticHeaders = List.copyOf(h);
    this.requestLine = "POST " + Secrets.maskUrl(spec.destination().url());
    // Measured (load-test bench, 3 partitions, batch 100): pausing at 500 buffered messages
    // halved throughput, since every pause and resume costs the partition its fetch pipeline.
    this.maxBuffered = Math.max(20 * batcher.maxBatchSize(), 2000);
    this.maxInFlight = 16;
    this.fences = host.fences(id);
    this.batchIds = new BatchIds(id);
    this.answerWithinNanos = host.config().requestTimeout().toNanos() + ANSWER_MARGIN_NANOS;
    for (SubscriptionSpec.Source s : spec.sources()) {
      List<String> exprs = new ArrayList<>(s.jmesFilters());
      exprs.addAll(host.rowFilters(sub, s.topic()));
      filters.put(s.topic(), RecordFilter.of(exprs));
    }
    this.thread = new Thread(this, "webhookd-" + id.substring(0, Math.min(8, id.length())));
    this.thread.setDaemon(false);
  }

  Subscription subscription() {
    return sub;
  }

  void start() {
    thread.start();
  }

  boolean isRunning() {
    return running && !stopRequested;
  }

  /** Messages waiting: Kafka lag past the consumer position plus what is buffered or in flight; -1 when unknown. */
  long lag() {
    return lag;
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
      consumer = host.newConsumer(sub);
      if (stopRequested) {
        return;
      }
      fences.onRelease(wakeOnRelease);
      consumer.subscribe(spec.topics(), new Rebalance());
      running = true;
      safe(l -> l.started(id));
      loop();
    } catch (Throwable t) {
      crash = t;
    } finally {
      running = false;
      fences.clearOnRelease(wakeOnRelease);
      try {
        finish(crash != null);
      } catch (Throwable t) {
        log.warn("error while stopping subscription {}: {}", id, t.toString());
      }
      metrics.close();
      stopped.countDown();
      if (crash != null && !stopRequested) {
        log.error("subscription {} stopped unexpectedly; it will be restarted", id, crash);
        host.crashed(this, crash);
      }
      MDC.remove("subscription_id");
    }
  }

  private void loop() {
    Consumer<byte[], byte[]> c = consumer;
    while (!stopRequested) {
      long now = System.nanoTime();
      drainCompletions();
      startDue(now);
      maybeCommit(now, false);
      maybeMeasureLag(now);
      long timeout = pollTimeout(System.nanoTime());
      ConsumerRecords<byte[], byte[]> records;
      polling.set(true);
      try {
        if (!completions.isEmpty() || stopRequested) {
          timeout = 0;
        }
        records = c.poll(Duration.ofNanos(timeout));
      } catch (WakeupException e) {
        records = ConsumerRecords.empty();
      } finally {
        polling.set(false);
      }
      if (!records.isEmpty()) {
        handle(records, System.nanoTime());
      }
      adjustPauses();
    }
  }

  // ---------------------------------------------------------------- reading

  private void handle(ConsumerRecords<byte[], byte[]> records, long now) {
    int consumed = 0;
    int filtered = 0;
    for (TopicPartition tp : records.partitions()) {
      PartitionState ps = partitions.get(tp);
      if (ps == null) {
        continue; // not ours any more
      }
      RecordFilter f = filters.get(tp.topic());
      for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
        if (ps.nextOffset >= 0 && r.offset() < ps.nextOffset) {
          continue; // already seen (cannot normally happen)
        }
        // The record counts (and the commit point may pass it) only once it is filtered out or
        // buffered: an error on the way leaves it to be read again.
        consumed++;
        MessageEncoder.ValueKind kind;
        if (f != null && !f.acceptsAll()) {
          boolean pass;
          try {
            pass = f.test(r);
          } catch (RuntimeException e) {
            log.debug("filter error on {}-{}@{}: {}; treated as not matching", r.topic(), r.partition(), r.offset(), e.toString());
            pass = false;
          }
          if (!pass) {
            filtered++;
            commitDirty = true;
            ps.nextOffset = r.offset() + 1;
            continue;
          }
          kind = f.kind();
        } else {
          kind = MessageEncoder.classify(r.value());
        }
        byte[] bytes = encoder.encode(r, kind);
        ps.buffer.addLast(new Pending(r.offset(), bytes, now, r.timestamp()));
        ps.bufferedBytes += bytes.length;
        buffered++;
        ps.nextOffset = r.offset() + 1;
      }
    }
    metrics.consumed(consumed);
    if (filtered > 0) {
      metrics.filtered(filtered);
    }
  }

  private void adjustPauses() {
    Consumer<byte[], byte[]> c = consumer;
    List<TopicPartition> pause = null;
    List<TopicPartition> resume = null;
    for (PartitionState ps : partitions.values()) {
      boolean full = ps.buffer.size() >= maxBuffered || ps.bufferedBytes >= MAX_BUFFERED_BYTES;
      if (!ps.paused && full) {
        ps.paused = true;
        (pause == null ? pause = new ArrayList<>() : pause).add(ps.tp);
      } else if (ps.paused && ps.buffer.size() <= maxBuffered / 2 && ps.bufferedBytes < MAX_BUFFERED_BYTES / 2) {
        ps.paused = false;
        (resume == null ? resume = new ArrayList<>() : resume).add(ps.tp);
      }
    }
    if (pause != null) {
      c.pause(pause);
    }
    if (resume != null) {
      c.resume(resume);
    }
  }

  // ---------------------------------------------------------------- sending

  /**
   * How long the next poll may block: until something is due to be sent (but never before the
   * rate limiter's next token: a full batch or a due retry must not spin the thread while the
   * limiter says no), a commit is due, or a fence may expire.
   */
  private long pollTimeout(long now) {
    long t = MAX_POLL_NANOS;
    long send = nanosUntilSendDue(now);
    if (send != Long.MAX_VALUE) {
      if (limiter != null) {
        send = Math.max(send, limiter.nanosUntilToken(now));
      }
      t = Math.min(t, send);
    }
    if (commitDirty) {
      t = Math.min(t, lastCommitNanos + COMMIT_EVERY_NANOS - now);
    }
    long fenceDeadline = fences.nextDeadline(now);
    if (fenceDeadline != Long.MAX_VALUE) {
      t = Math.min(t, fenceDeadline - now);
    }
    return Math.max(0, t);
  }

  /** Nanoseconds until a retry or a batch is due to be sent, ignoring the rate limit; {@code Long.MAX_VALUE} for never. */
  private long nanosUntilSendDue(long now) {
    long t = Long.MAX_VALUE;
    if (!retrying.isEmpty()) {
      t = Math.max(0, retrying.peek().nextAttemptAt - now);
    }
    if (buffered > 0 && inFlight.size() + retrying.size() < maxInFlight) {
      int waiting = 0;
      long oldest = Long.MAX_VALUE;
      boolean anyFull = false;
      for (PartitionState ps : partitions.values()) {
        if (sendable(ps, now)) {
          waiting += ps.buffer.size();
          oldest = Math.min(oldest, ps.buffer.peekFirst().arrivalNanos);
          anyFull |= ps.buffer.size() >= batcher.maxBatchSize();
        }
      }
      if (anyFull) {
        t = 0;
      } else if (waiting > 0) {
        // mixed batches wait for the interval while other batches are in flight (see startDue)
        int counted = inFlight.isEmpty() && retrying.isEmpty() ? waiting : Math.min(waiting, batcher.maxBatchSize() - 1);
        t = Math.min(t, batcher.nanosUntilDue(counted, now - oldest));
      }
    }
    return t;
  }

  /** Whether a new batch may take messages of this partition now. */
  private boolean sendable(PartitionState ps, long now) {
    return ps.busy == null && !ps.buffer.isEmpty() && !fences.blocks(ps.tp, now);
  }

  private void startDue(long now) {
    if (shuttingDown) {
      return;
    }
    while (!retrying.isEmpty() && retrying.peek().nextAttemptAt <= now) {
      if (!takeToken(now)) {
        return;
      }
      send(retrying.poll(), now);
    }
    while (buffered > 0 && inFlight.size() + retrying.size() < maxInFlight) {
      List<PartitionState> free = new ArrayList<>();
      int waiting = 0;
      PartitionState full = null;
      for (PartitionState ps : partitions.values()) {
        if (sendable(ps, now)) {
          free.add(ps);
          waiting += ps.buffer.size();
          if (ps.buffer.size() >= batcher.maxBatchSize()
              && (full == null || ps.buffer.peekFirst().arrivalNanos < full.buffer.peekFirst().arrivalNanos)) {
            full = ps;
          }
        }
      }
      if (free.isEmpty()) {
        return;
      }
      if (full != null) {
        // A partition that fills a batch by itself goes alone: a batch holding several
        // partitions keeps all of them busy, which would cost parallelism.
        if (!takeToken(now)) {
          return;
        }
        send(form(List.of(full), batcher.maxBatchSize()), now);
        continue;
      }
      free.sort(Comparator.comparingLong(ps -> ps.buffer.peekFirst().arrivalNanos));
      long age = now - free.get(0).buffer.peekFirst().arrivalNanos;
      int n = batcher.batchSize(waiting, age);
      if (n <= 0) {
        return;
      }
      boolean dueByAge = batcher.batchSize(Math.min(waiting, batcher.maxBatchSize() - 1), age) > 0;
      if (!dueByAge && !(inFlight.isEmpty() && retrying.isEmpty())) {
        // full only across partitions while others are in flight: wait for the partitions to
        // fill single-partition batches, or for the interval
        return;
      }
      if (!takeToken(now)) {
        return;
      }
      send(form(free, n), now);
    }
  }

  private boolean takeToken(long now) {
    return limiter == null || limiter.tryAcquire(now) == 0;
  }

  private Batch form(List<PartitionState> free, int n) {
    Batch b = new Batch();
    batchIds.begin();
    int bytes = 0;
    for (PartitionState ps : free) {
      if (b.messages.size() >= n) {
        break;
      }
      boolean took = false;
      while (!ps.buffer.isEmpty() && b.messages.size() < n) {
        Pending p = ps.buffer.peekFirst();
        if (!b.messages.isEmpty() && bytes + p.bytes.length > MAX_BATCH_BYTES) {
          break;
        }
        ps.buffer.removeFirst();
        ps.bufferedBytes -= p.bytes.length;
        buffered--;
        if (!took) {
          b.firstOffsets.put(ps.tp, p.offset);
          batchIds.partition(ps.tp);
          took = true;
        }
        batchIds.offset(p.offset);
        b.messages.add(p);
        bytes += p.bytes.length;
      }
      if (took) {
        ps.busy = b;
      }
      if (bytes >= MAX_BATCH_BYTES) {
        break;
      }
    }
    b.id = batchIds.finish();
    List<byte[]> parts = new ArrayList<>(b.messages.size());
    for (Pending p : b.messages) {
      parts.add(p.bytes);
    }
    b.body = encoder.batchBody(id, b.id, parts, bytes, parts.size());
    return b;
  }

  private void send(Batch b, long now) {
    b.attempts++;
    long ts = Instant.now().getEpochSecond();
    List<DeliveryRequest.Header> headers = new ArrayList<>(staticHeaders.size() + 3);
    headers.addAll(staticHeaders);
    headers.add(new DeliveryRequest.Header("webhook-id", b.id));
    headers.add(new DeliveryRequest.Header("webhook-timestamp", Long.toString(ts)));
    if (signer != null) {
      headers.add(new DeliveryRequest.Header("webhook-signature", signer.sign(b.id, ts, b.body)));
    }
    DeliveryRequest req =
        new DeliveryRequest(id, b.id, spec.destination().url(), headers, b.body, host.config().requestTimeout());
    b.request = req;
    Fences.Request open = fences.opened(List.copyOf(b.firstOffsets.keySet()), now + answerWithinNanos);
    b.open = open;
    inFlight.put(b.id, b);
    if (b.attempts == 1) {
      int size = b.messages.size();
      safe(l -> l.batchStarted(id, b.id, size));
    }
    CompletableFuture<DeliveryResult> f;
    try {
      f = host.destination().send(req);
    } catch (RuntimeException e) {
      f = CompletableFuture.completedFuture(DeliveryResult.failure(e, Duration.ZERO, true));
    }
    f.whenComplete(
        (r, e) -> {
          fences.answered(open);
          DeliveryResult result = e != null ? DeliveryResult.failure(e, Duration.ofNanos(System.nanoTime() - now), true) : r;
          completions.add(new Completion(b, result));
          if (polling.get()) {
            Consumer<byte[], byte[]> c = consumer;
            if (c != null) {
              c.wakeup();
            }
          }
        });
  }

  private void drainCompletions() {
    Completion c;
    while ((c = completions.poll()) != null) {
      complete(c);
    }
  }

  private void complete(Completion c) {
    Batch b = c.batch;
    inFlight.remove(b.id);
    if (b.abandoned) {
      return;
    }
    DeliveryResult r = c.result;
    Instant at = Instant.now();
    DeliveryRequest req = b.request;
    host.reporter().activity(id, Activity.apiCall(req, requestLine, r, b.messages.size(), at));
    if (r.isSuccess()) {
      delivered(b, r, at);
    } else {
      failed(b, r, at);
    }
  }

  private void delivered(Batch b, DeliveryResult r, Instant at) {
    metrics.attempt("success", r.duration().toNanos());
    for (TopicPartition tp : b.firstOffsets.keySet()) {
      PartitionState ps = partitions.get(tp);
      if (ps != null && ps.busy == b) {
        ps.busy = null;
      }
    }
    commitDirty = true;
    int n = b.messages.size();
    metrics.delivered(n);
    long nowMs = at.toEpochMilli();
    for (Pending p : b.messages) {
      if (p.timestamp > 0) {
        metrics.endToEnd(Math.max(0, nowMs - p.timestamp));
      }
    }
    Health before = health.success(r, n, at);
    host.reporter().health(id, health.snapshot());
    safe(l -> l.batchDelivered(id, b.id, n, r));
    if (before == Health.UNHEALTHY) {
      log.info("subscription {} delivered again after being unhealthy", id);
      safe(l -> l.healthChanged(id, Health.UNHEALTHY, Health.HEALTHY));
      host.healthChanged(this, Health.UNHEALTHY, Health.HEALTHY, r);
    }
  }

  private void failed(Batch b, DeliveryResult r, Instant at) {
    metrics.attempt(r.statusCode() >= 0 ? "http_error" : "failure", r.duration().toNanos());
    int maxRetries = spec.retry().maxRetries();
    boolean exhausted = b.attempts > maxRetries;
    Duration delay = exhausted ? Retries.exhaustedInterval(spec.retry()) : retrier.delay(b.attempts);
    Duration retryAfter = retryAfter(r);
    if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
      delay = retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
    }
    Health before = health.failure(r, exhausted, at);
    host.reporter().health(id, health.snapshot());
    long delayMs = delay.toMillis();
    log.debug("batch {} of subscription {} failed (attempt {}): {}; retrying in {} ms", b.id, id, b.attempts, r, delayMs);
    safe(l -> l.batchFailed(id, b.id, b.attempts, r, delayMs));
    if (shuttingDown) {
      abandon(b, "engine stopping");
      return;
    }
    if (touches(b, releasing)) {
      abandon(b, "partitions revoked", releasing); // the partitions' next owner sends it again
      return;
    }
    b.nextAttemptAt = System.nanoTime() + delay.toNanos();
    retrying.add(b);
    if (exhausted && before != Health.UNHEALTHY) {
      log.warn("subscription {} is unhealthy: {} attempts of batch {} failed, last {}; retrying every {} ms",
          id, b.attempts, b.id, r, delayMs);
      safe(l -> l.healthChanged(id, before, Health.UNHEALTHY));
      host.healthChanged(this, before, Health.UNHEALTHY, r);
    }
    if (r.statusCode() == 410) {
      host.gone(this, r);
    }
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

  /** The batch will not be delivered by this consumer: its messages will be read again. */
  private void abandon(Batch b, String reason) {
    abandon(b, reason, List.of());
  }

  /**
   * The batch will not be delivered by this consumer: its partitions (other than {@code gone}
   * ones) are rewound to its first messages, which will be read and sent again.
   */
  private void abandon(Batch b, String reason, Collection<TopicPartition> gone) {
    if (b.abandoned) {
      return;
    }
    b.abandoned = true;
    retrying.remove(b);
    if (b.open != null) {
      fences.giveUp(b.open); // a no-op when its request answered already
    }
    for (Map.Entry<TopicPartition, Long> e : b.firstOffsets.entrySet()) {
      PartitionState ps = partitions.get(e.getKey());
      if (ps != null && ps.busy == b && !gone.contains(e.getKey())) {
        rewind(ps, e.getValue());
      }
    }
    safe(l -> l.batchAbandoned(id, b.id, reason));
  }

  // ---------------------------------------------------------------- committing

  private void maybeCommit(long now, boolean force) {
    if (!mayCommit() || !commitDirty || (!force && now - lastCommitNanos < COMMIT_EVERY_NANOS)) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = commitPoints(partitions.values());
    commitDirty = false;
    lastCommitNanos = now;
    if (offsets.isEmpty()) {
      return;
    }
    offsets.forEach((tp, o) -> partitions.get(tp).committing = o.offset());
    consumer.commitAsync(
        offsets,
        (done, error) -> {
          if (error != null) {
            log.debug("commit failed for subscription {}: {}; will retry", id, error.toString());
            for (TopicPartition tp : offsets.keySet()) {
              PartitionState ps = partitions.get(tp);
              if (ps != null) {
                ps.committing = Math.min(ps.committing, ps.committed);
              }
            }
            commitDirty = true;
          } else {
            done.forEach(
                (tp, o) -> {
                  PartitionState ps = partitions.get(tp);
                  if (ps != null && o.offset() > ps.committed) {
                    ps.committed = o.offset();
                  }
                });
          }
        });
  }

  private Map<TopicPartition, OffsetAndMetadata> commitPoints(Collection<PartitionState> states) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (PartitionState ps : states) {
      long cp = ps.commitPoint();
      if (cp >= 0 && cp > ps.committing) {
        offsets.put(ps.tp, new OffsetAndMetadata(cp));
      }
    }
    return offsets;
  }

  private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (!mayCommit() || offsets.isEmpty()) {
      return;
    }
    for (int i = 0; i < 3; i++) {
      try {
        consumer.commitSync(offsets, Duration.ofSeconds(10));
        offsets.forEach(
            (tp, o) -> {
              PartitionState ps = partitions.get(tp);
              if (ps != null) {
                ps.committed = Math.max(ps.committed, o.offset());
                ps.committing = Math.max(ps.committing, o.offset());
              }
            });
        return;
      } catch (WakeupException e) {
        // a late wakeup meant for poll; try again
      } catch (RuntimeException e) {
        log.warn("could not commit offsets of subscription {}: {} (they will be re-delivered)", id, e.toString());
        return;
      }
    }
  }

  private void maybeMeasureLag(long now) {
    if (now - lastLagNanos < LAG_EVERY_NANOS) {
      return;
    }
    lastLagNanos = now;
    long total = buffered;
    for (Batch b : inFlight.values()) {
      total += b.messages.size();
    }
    for (Batch b : retrying) {
      total += b.messages.size();
    }
    boolean known = !partitions.isEmpty();
    for (PartitionState ps : partitions.values()) {
      OptionalLong l = consumer.currentLag(ps.tp);
      if (l.isPresent()) {
        total += l.getAsLong();
      } else {
        known = false;
      }
    }
    lag = known ? total : (partitions.isEmpty() ? 0 : -1);
  }

  // ---------------------------------------------------------------- rebalancing and stopping

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      List<TopicPartition> resume = new ArrayList<>();
      Set<TopicPartition> paused = assigned.isEmpty() ? Set.of() : consumer.paused();
      for (TopicPartition tp : assigned) {
        if (partitions.putIfAbsent(tp, new PartitionState(tp)) == null && paused.contains(tp)) {
          resume.add(tp); // a fresh state has an empty buffer: nothing to hold the partition back
        }
      }
      if (!resume.isEmpty()) {
        consumer.resume(resume);
      }
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
    polling.set(false);
    try {
      boolean commit = revoked && mayCommit();
      if (commit) {
        awaitOpenRequests(gone);
        if (abandoning()) {
          dead = true;
          commit = false;
        }
      }
      List<Batch> affected = new ArrayList<>();
      for (Batch b : inFlight.values()) {
        if (touches(b, gone)) {
          affected.add(b);
        }
      }
      for (Batch b : retrying) {
        if (touches(b, gone)) {
          affected.add(b);
        }
      }
      List<PartitionState> goneStates = new ArrayList<>();
      for (TopicPartition tp : gone) {
        PartitionState ps = partitions.get(tp);
        if (ps != null) {
          goneStates.add(ps);
        }
      }
      if (commit) {
        commitSync(commitPoints(goneStates));
      }
      for (Batch b : affected) {
        abandon(b, revoked ? "partitions revoked" : "partitions lost", gone);
      }
      for (PartitionState ps : goneStates) {
        buffered -= ps.buffer.size();
        partitions.remove(ps.tp);
      }
      log.debug("subscription {} released {} (revoked={}, committed={})", id, gone, revoked, commit);
    } finally {
      polling.set(true);
    }
  }

  /**
   * Waits until no request holding messages of {@code gone} is open, or until the last of them
   * is past its answer deadline, or the runner is abandoned. Completions that arrive meanwhile
   * are handled as usual, except that a failed batch of {@code gone} is given up instead of
   * retried here.
   */
  private void awaitOpenRequests(Collection<TopicPartition> gone) {
    releasing = gone;
    try {
      long deadline = Long.MIN_VALUE;
      for (Batch b : inFlight.values()) {
        if (!b.abandoned && touches(b, gone)) {
          deadline = Math.max(deadline, b.open == null ? System.nanoTime() : b.open.deadlineNanos);
        }
      }
      while (touchesInFlight(gone) && System.nanoTime() - deadline < 0 && !abandoning()) {
        try {
          long slice = Math.min(deadline - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(100));
          Completion c = completions.poll(Math.max(0, slice), TimeUnit.NANOSECONDS);
          if (c != null) {
            complete(c);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    } finally {
      releasing = List.of();
    }
  }

  /** Re-reads a partition from {@code offset}: drops its buffer and seeks back. */
  private void rewind(PartitionState ps, long offset) {
    buffered -= ps.buffer.size();
    ps.buffer.clear();
    ps.bufferedBytes = 0;
    ps.busy = null;
    ps.nextOffset = offset;
    consumer.seek(ps.tp, offset);
  }

  private boolean touchesInFlight(Collection<TopicPartition> tps) {
    for (Batch b : inFlight.values()) {
      if (!b.abandoned && touches(b, tps)) {
        return true;
      }
    }
    return false;
  }

  private static boolean touches(Batch b, Collection<TopicPartition> tps) {
    if (tps.isEmpty()) {
      return false;
    }
    for (TopicPartition tp : b.firstOffsets.keySet()) {
      if (tps.contains(tp)) {
        return true;
      }
    }
    return false;
  }

  /** Waits until every request this runner sent has answered or is past its deadline; commits nothing. */
  private void awaitAnswers() {
    for (Batch b : new ArrayList<>(inFlight.values())) {
      Fences.Request r = b.open;
      if (r == null) {
        continue;
      }
      long left = r.deadlineNanos - System.nanoTime();
      while (r.isOpen() && left > 0 && !abandoning()) {
        try {
          completions.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS); // dropped: dead
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        left = r.deadlineNanos - System.nanoTime();
      }
    }
  }

  private void finish(boolean crashed) {
    Consumer<byte[], byte[]> c = consumer;
    if (c == null) {
      return;
    }
    shuttingDown = true;
    if (crashed || stopMode == StopMode.ABANDON) {
      // As a process that died: nothing more is committed (the revoke callback that close() runs
      // included), and open requests fence their partitions until they answer.
      dead = true;
      for (Batch b : new ArrayList<>(inFlight.values())) {
        abandon(b, crashed ? "crashed" : "abandoned", b.firstOffsets.keySet()); // no rewinding a dead consumer
      }
      retrying.clear();
      try {
        if (crashed) {
          // Leaving the group hands the partitions over at once, possibly to another engine, which
          // must not send them while this runner's requests are open: wait for those to answer
          // first (the membership lasts: max.poll.interval.ms is above the request timeout).
          awaitAnswers();
          c.close(Duration.ofSeconds(5));
        } else {
          c.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP).withTimeout(Duration.ZERO));
        }
      } catch (RuntimeException e) {
        log.debug("closing consumer of {} after {}: {}", id, crashed ? "a crash" : "abandon", e.toString());
      }
      if (crashed) {
        safe(l -> l.stopped(id, "crashed"));
      }
      return;
    }
    long deadline = System.nanoTime() + host.config().shutdownTimeout().toNanos();
    for (Batch b : new ArrayList<>(retrying)) {
      abandon(b, "stopping");
    }
    while (!inFlight.isEmpty() && System.nanoTime() < deadline && !abandoning()) {
      try {
        Completion done = completions.poll(Math.min(deadline - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
        if (done != null) {
          complete(done);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (Batch b : new ArrayList<>(inFlight.values())) {
      abandon(b, "stopping: no response within the shutdown timeout");
    }
    if (abandoning()) {
      dead = true;
    } else {
      commitSync(commitPoints(partitions.values()));
    }
    // what was delivered is committed: the revoke callback that close() runs has nothing left to do
    partitions.clear();
    buffered = 0;
    try {
      c.close(Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      log.debug("closing consumer of {}: {}", id, e.toString());
    }
    safe(l -> l.stopped(id, "stopped"));
  }

  private void safe(java.util.function.Consumer<SubscriptionListener> call) {
    try {
      call.accept(host.listener());
    } catch (RuntimeException e) {
      log.warn("a SubscriptionListener threw; ignored", e);
    }
  }

  void recordState(ActivityEvent.Type type, String message) {
    host.reporter().activity(id, ActivityEvent.stateChange(Instant.now(), type, message));
  }

  // ---------------------------------------------------------------- state

  static final class PartitionState {
    final TopicPartition tp;
    final ArrayDeque<Pending> buffer = new ArrayDeque<>();
    int bufferedBytes;
    @Nullable Batch busy;
    long nextOffset = -1;
    long committed = -1;
    long committing = -1;
    boolean paused;

    PartitionState(TopicPartition tp) {
      this.tp = tp;
    }

    /** The oldest offset not yet delivered nor filtered, or the next to read; -1 when unknown. */
    long commitPoint() {
      if (busy != null) {
        Long first = busy.firstOffsets.get(tp);
        if (first != null) {
          return first;
        }
      }
      if (!buffer.isEmpty()) {
        return buffer.peekFirst().offset;
      }
      return nextOffset;
    }
  }

  record Pending(long offset, byte[] bytes, long arrivalNanos, long timestamp) {}

  static final class Batch {
    /** Set once the batch is formed: {@link BatchIds}. */
    String id = "";
    final List<Pending> messages = new ArrayList<>();
    final Map<TopicPartition, Long> firstOffsets = new LinkedHashMap<>();
    byte[] body = new byte[0];
    int attempts;
    long nextAttemptAt;
    boolean abandoned;
    @Nullable DeliveryRequest request;
    /** The latest attempt's request. */
    Fences.@Nullable Request open;

  }

  record Completion(Batch batch, DeliveryResult result) {}
}
