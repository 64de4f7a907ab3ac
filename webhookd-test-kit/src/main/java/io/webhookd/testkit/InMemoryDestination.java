package io.webhookd.testkit;

import static java.util.Objects.requireNonNull;

import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A {@link WebhookDestination} without a network: it records every {@link DeliveryRequest} and
 * answers with scripted {@link DeliveryResult}s (200 by default). Futures complete on a thread of
 * the destination, never on the caller's, like a real transport's; {@link #delayResponses} makes
 * them complete later.
 *
 * <pre>{@code
 * InMemoryDestination destination = InMemoryDestination.create();
 * destination.failFirst(3, 503);
 * ... Webhookd.builder().destination(destination) ...
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class InMemoryDestination implements WebhookDestination {

  /** Decides the result of each request. Called on the caller's thread; must be thread-safe. */
  @FunctionalInterface
  public interface Script {
    /**
     * The result of one request.
     *
     * @param requestNumber 1 for the first request since creation (or {@link #reset()})
     */
    DeliveryResult respond(int requestNumber, DeliveryRequest request);
  }

  /** One request and what it was answered. */
  public record Exchange(Instant at, DeliveryRequest request, DeliveryResult result) {
    public Exchange {
      requireNonNull(at, "at");
      requireNonNull(request, "request");
      requireNonNull(result, "result");
    }
  }

  private static final Script OK = (n, r) -> status(200);

  private final Object lock = new Object();
  private final List<Exchange> exchanges = new ArrayList<>();
  private final AtomicInteger requestNumber = new AtomicInteger();
  private final ScheduledExecutorService completer;
  private volatile Script script = OK;
  private volatile Duration delay = Duration.ZERO;
  private volatile Function<URI, @Nullable String> urlCheck = url -> null;
  private volatile boolean closed;
  private boolean paused;
  private final List<Runnable> held = new ArrayList<>();

  private InMemoryDestination() {
    AtomicInteger threads = new AtomicInteger();
    completer =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "in-memory-destination-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** A destination that answers 200 to everything. */
  public static InMemoryDestination create() {
    return new InMemoryDestination();
  }

  /** A response with this status, no headers or body, taking no time. */
  public static DeliveryResult status(int status) {
    return DeliveryResult.response(status, Map.of(), "", Duration.ZERO);
  }

  /** A 429 response with {@code retry-after: seconds}. */
  public static DeliveryResult retryAfter(int seconds) {
    return DeliveryResult.response(
        429, Map.of("retry-after", List.of(Integer.toString(seconds))), "", Duration.ZERO);
  }

  /** A failure without a response (as a timeout or a refused connection would be). */
  public static DeliveryResult noResponse(String why, boolean retryable) {
    return DeliveryResult.failure(new java.io.IOException(why), Duration.ZERO, retryable);
  }

  @Override
  public CompletableFuture<DeliveryResult> send(DeliveryRequest request) {
    requireNonNull(request, "request");
    DeliveryResult result;
    if (closed) {
      result = noResponse("the destination is closed", true);
    } else {
      try {
        result = requireNonNull(script.respond(requestNumber.incrementAndGet(), request), "script result");
      } catch (RuntimeException e) {
        result = DeliveryResult.failure(e, Duration.ZERO, true);
      }
    }
    synchronized (lock) {
      exchanges.add(new Exchange(Instant.now(), request, result));
      lock.notifyAll();
    }
    CompletableFuture<DeliveryResult> future = new CompletableFuture<>();
    DeliveryResult r = result;
    Duration d = delay;
    Runnable complete = () -> schedule(() -> future.complete(r), d, future);
    synchronized (lock) {
      if (paused) {
        held.add(complete);
        return future;
      }
    }
    complete.run();
    return future;
  }

  private void schedule(Runnable task, Duration after, CompletableFuture<DeliveryResult> future) {
    try {
      completer.schedule(task, after.toNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      future.complete(noResponse("the destination is closed", true));
    }
  }

  /**
   * Holds the futures of following requests incomplete (the requests are recorded and their
   * results decided) until {@link #resumeResponses()}: a batch stays in flight as long as a test
   * needs.
   */
  public void pauseResponses() {
    synchronized (lock) {
      paused = true;
    }
  }

  /** Completes the held futures (each after its delay, on a destination thread) and stops holding. */
  public void resumeResponses() {
    List<Runnable> release;
    synchronized (lock) {
      paused = false;
      release = List.copyOf(held);
      held.clear();
    }
    release.forEach(Runnable::run);
  }

  @Override
  public @Nullable String checkUrl(URI url) {
    return urlCheck.apply(url);
  }

  /** Answers every following request with whatever {@code script} says. */
  public void respondWith(Script script) {
    this.script = requireNonNull(script, "script");
  }

  /** Answers the next {@code n} requests with {@code status}, and 200 after them. */
  public void failFirst(int n, int status) {
    if (n < 0) {
      throw new IllegalArgumentException("n must not be negative, was " + n);
    }
    DeliveryResult failure = status(status);
    int after = requestNumber.get() + n;
    respondWith((number, request) -> number <= after ? failure : status(200));
  }

  /** Answers every following request with {@code status}. */
  public void alwaysRespond(int status) {
    DeliveryResult result = status(status);
    respondWith((number, request) -> result);
  }

  /** Completes each following future {@code delay} after its request; default zero. */
  public void delayResponses(Duration delay) {
    requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, was " + delay);
    }
    this.delay = delay;
  }

  /**
   * What {@link #checkUrl} says: a function from URL to the reason it is refused, or {@code null}
   * when it is accepted. By default every URL is accepted.
   */
  public void checkUrlsWith(Function<URI, @Nullable String> check) {
    this.urlCheck = requireNonNull(check, "check");
  }

  /**
   * Forgets every request, restarts request numbers at 1, answers 200 at once again. Held futures
   * stay held until {@link #resumeResponses()}.
   */
  public void reset() {
    synchronized (lock) {
      exchanges.clear();
      requestNumber.set(0);
      script = OK;
      delay = Duration.ZERO;
    }
  }

  /** Every request and its result, in the order they were sent. */
  public List<Exchange> exchanges() {
    synchronized (lock) {
      return List.copyOf(exchanges);
    }
  }

  /** Every request, in the order they were sent. */
  public List<DeliveryRequest> requests() {
    return exchanges().stream().map(Exchange::request).toList();
  }

  /** How many requests were sent. */
  public int requestCount() {
    synchronized (lock) {
      return exchanges.size();
    }
  }

  /** The messages of every request answered 2xx (parsed from the wire format), duplicates included. */
  public List<ReceivedMessage> deliveredMessages() {
    List<ReceivedMessage> out = new ArrayList<>();
    for (Exchange e : exchanges()) {
      if (e.result().isSuccess()) {
        out.addAll(parse(e.request()).messages());
      }
    }
    return out;
  }

  /** The {@code topic/partition/offset} of every delivered message, once each, in delivery order. */
  public Set<String> uniqueDeliveredIds() {
    Set<String> ids = new LinkedHashSet<>();
    deliveredMessages().forEach(m -> ids.add(m.id()));
    return ids;
  }

  /** A request as a {@link WebhookReceiver} would have received it (body parsed, headers lower case). */
  public static ReceivedRequest parse(DeliveryRequest request) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (DeliveryRequest.Header h : request.headers()) {
      headers
          .computeIfAbsent(h.name().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(h.value());
    }
    String path = request.url().getRawPath() == null ? "/" : request.url().getRawPath();
    return WebhookReceiver.parse(Instant.now(), path, headers, request.body());
  }

  /**
   * Waits until at least {@code n} requests were sent.
   *
   * @return the requests at that moment
   * @throws AssertionError when fewer were sent within {@code timeout}
   */
  public List<DeliveryRequest> awaitRequests(int n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (exchanges.size() < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "timed out after " + timeout.toMillis() + " ms waiting for " + n
                  + " requests; got " + exchanges.size() + ": " + exchanges);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted while waiting for requests", e);
        }
      }
    }
    return requests();
  }

  /**
   * Completes held futures, then stops the completion threads; futures already scheduled still
   * complete, later requests fail (retryable). Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    resumeResponses();
    completer.shutdown();
  }
}
