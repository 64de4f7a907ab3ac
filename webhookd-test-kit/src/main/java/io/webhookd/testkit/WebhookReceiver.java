package io.webhookd.testkit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.webhookd.WebhookBatch;
import io.webhookd.WebhookMessage;
import io.webhookd.WebhookVerificationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real webhook for tests: an HTTP server on {@code 127.0.0.1} (a random port) that records every
 * POST, parses webhookd batches, and answers as scripted (200 by default).
 *
 * <p>A request is recorded when it is answered, just before the response is written, so a client
 * that saw the response always finds its request in {@link #requests()}. Requests are handled on a
 * pool of threads: a {@linkplain Response#delayed delayed} response does not hold up other
 * requests. The receiver answers a request it could not parse, too (its {@code messages} are then
 * empty); other methods than POST get 405 and are not recorded.
 *
 * <p>It also watches webhookd's ordering promise: {@link #overlaps()} lists every request that
 * arrived while an earlier one holding messages of the same partition was still unanswered.
 *
 * <pre>{@code
 * try (WebhookReceiver hook = WebhookReceiver.start()) {
 *   hook.failFirst(2, 503);
 *   ... subscribe hook.url() ...
 *   hook.awaitDeliveredCount(10, Duration.ofSeconds(30));
 *   assertThat(hook.uniqueDeliveredIds()).hasSize(10);
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class WebhookReceiver implements AutoCloseable {

  /** Decides the response to each request. Called on a request thread; must be thread-safe. */
  @FunctionalInterface
  public interface Responder {
    /**
     * The response to one request.
     *
     * @param requestNumber 1 for the first request since start (or {@link #reset()}), 2 for the next
     * @param request the request, with {@code respondedStatus} {@code -1}
     */
    Response respond(int requestNumber, ReceivedRequest request);
  }

  /**
   * A scripted response. Immutable.
   *
   * @param status the HTTP status
   * @param headers response headers
   * @param body the response body (UTF-8)
   * @param delay how long to wait before answering
   */
  public record Response(int status, Map<String, String> headers, String body, Duration delay) {
    public Response {
      if (status < 100 || status > 599) {
        throw new IllegalArgumentException("status must be between 100 and 599, was " + status);
      }
      headers = Map.copyOf(headers);
      requireNonNull(body, "body");
      requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay must not be negative, was " + delay);
      }
    }

    /** 200 at once, no body. */
    public static Response ok() {
      return status(200);
    }

    /** This status at once, no body. */
    public static Response status(int status) {
      return new Response(status, Map.of(), "", Duration.ZERO);
    }

    /** 429 with {@code Retry-After: seconds}. */
    public static Response retryAfter(int seconds) {
      return new Response(429, Map.of("Retry-After", Integer.toString(seconds)), "", Duration.ZERO);
    }

    /** 200 after {@code delay}. */
    public static Response delayed(Duration delay) {
      return new Response(200, Map.of(), "", delay);
    }

    /** This response, answered after {@code delay}. */
    public Response withDelay(Duration delay) {
      return new Response(status, headers, body, delay);
    }

    /** This response with a body. */
    public Response withBody(String body) {
      return new Response(status, headers, body, delay);
    }

    /** This response with one more header. */
    public Response withHeader(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Response(status, h, body, delay);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Responder OK = (n, r) -> Response.ok();

  private final HttpServer server;
  private final ExecutorService pool;
  private final URI base;
  private final Object lock = new Object();
  private final List<ReceivedRequest> requests = new ArrayList<>();
  /** Unanswered requests per {@code topic/partition}: their batch ids and offsets. */
  private final Map<String, List<String>> open = new HashMap<>();
  private final List<String> overlaps = new ArrayList<>();
  private final AtomicInteger requestNumber = new AtomicInteger();
  private volatile Responder responder = OK;
  private volatile boolean closed;

  private WebhookReceiver(HttpServer server, ExecutorService pool) {
    this.server = server;
    this.pool = pool;
    this.base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Starts a receiver on {@code 127.0.0.1} and a free port; it answers 200 until told otherwise. */
  public static WebhookReceiver start() {
    HttpServer server;
    try {
      // a backlog for thousands of subscriptions connecting at once (the operating system may cap it lower)
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the webhook receiver", e);
    }
    AtomicInteger threads = new AtomicInteger();
    ExecutorService pool =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "webhook-receiver-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(pool);
    WebhookReceiver receiver = new WebhookReceiver(server, pool);
    server.createContext("/", receiver::handle);
    server.start();
    return receiver;
  }

  /** The webhook URL: {@code http://127.0.0.1:{port}/webhook}. */
  public URI url() {
    return url("/webhook");
  }

  /** A URL of this receiver with the given path ({@code /} is prepended when missing). */
  public URI url(String path) {
    requireNonNull(path, "path");
    return base.resolve(path.startsWith("/") ? path : "/" + path);
  }

  /** The port the receiver listens on. */
  public int port() {
    return base.getPort();
  }

  /** Answers every following request with whatever {@code responder} says. */
  public void respondWith(Responder responder) {
    this.responder = requireNonNull(responder, "responder");
  }

  /** Answers the next {@code n} requests with {@code status}, and 200 after them. */
  public void failFirst(int n, int status) {
    if (n < 0) {
      throw new IllegalArgumentException("n must not be negative, was " + n);
    }
    Response failure = Response.status(status);
    int after = requestNumber.get() + n;
    respondWith((number, request) -> number <= after ? failure : Response.ok());
  }

  /** Answers every following request with {@code status}. */
  public void alwaysRespond(int status) {
    Response response = Response.status(status);
    respondWith((number, request) -> response);
  }

  /** Forgets every recorded request and overlap, restarts request numbers at 1, and answers 200 again. */
  public void reset() {
    synchronized (lock) {
      requests.clear();
      overlaps.clear();
      requestNumber.set(0);
      responder = OK;
    }
  }

  /** Every answered request, in the order they were answered. */
  public List<ReceivedRequest> requests() {
    synchronized (lock) {
      return List.copyOf(requests);
    }
  }

  /**
   * Every request that arrived while an earlier request holding messages of one of its partitions
   * was still unanswered, described with its batch id and the partitions; empty when webhookd kept
   * its promise of never two open requests of one partition. (A request the client gave up on
   * after its request timeout counts as open here until the receiver answers it: script delays
   * shorter than the engine's request timeout when you check this.)
   */
  public List<String> overlaps() {
    synchronized (lock) {
      return List.copyOf(overlaps);
    }
  }

  /** How many requests were answered. */
  public int requestCount() {
    synchronized (lock) {
      return requests.size();
    }
  }

  /** The messages of every request answered 2xx, in order, duplicates included. */
  public List<ReceivedMessage> deliveredMessages() {
    List<ReceivedMessage> out = new ArrayList<>();
    for (ReceivedRequest r : requests()) {
      if (r.answeredSuccess()) {
        out.addAll(r.messages());
      }
    }
    return out;
  }

  /** The {@code topic/partition/offset} of every delivered message, once each, in delivery order. */
  public Set<String> uniqueDeliveredIds() {
    Set<String> ids = new LinkedHashSet<>();
    for (ReceivedMessage m : deliveredMessages()) {
      ids.add(m.id());
    }
    return ids;
  }

  /** How many delivered messages were deliveries of a message already delivered. */
  public int duplicateCount() {
    List<ReceivedMessage> all = deliveredMessages();
    Set<String> ids = new LinkedHashSet<>();
    for (ReceivedMessage m : all) {
      ids.add(m.id());
    }
    return all.size() - ids.size();
  }

  /**
   * Waits until at least {@code n} distinct messages were delivered (answered 2xx).
   *
   * @return the delivered messages at that moment, duplicates included
   * @throws AssertionError when fewer arrived within {@code timeout}, saying what did arrive
   */
  public List<ReceivedMessage> awaitDeliveredCount(int n, Duration timeout) {
    awaitCondition(() -> uniqueDeliveredIds().size() >= n, timeout, "at least " + n + " distinct delivered messages");
    return deliveredMessages();
  }

  /**
   * Waits until at least {@code n} requests were answered.
   *
   * @return the requests at that moment
   * @throws AssertionError when fewer were answered within {@code timeout}
   */
  public List<ReceivedRequest> awaitRequests(int n, Duration timeout) {
    awaitCondition(() -> requestCount() >= n, timeout, "at least " + n + " answered requests");
    return requests();
  }

  private void awaitCondition(java.util.function.BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (!condition.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "timed out after "
                  + timeout.toMillis()
                  + " ms waiting for "
                  + what
                  + "; the receiver got "
                  + requests.size()
                  + " requests, "
                  + uniqueDeliveredIds().size()
                  + " distinct delivered messages, "
                  + duplicateCount()
                  + " duplicates; requests: "
                  + summary());
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted while waiting for " + what, e);
        }
      }
    }
  }

  private String summary() {
    List<String> lines = new ArrayList<>();
    Iterator<ReceivedRequest> it = requests.iterator();
    for (int i = 0; it.hasNext() && i < 20; i++) {
      lines.add(it.next().toString());
    }
    if (requests.size() > 20) {
      lines.add("... " + (requests.size() - 20) + " more");
    }
    return lines.toString();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      if (!exchange.getRequestMethod().equals("POST")) {
        exchange.getResponseHeaders().set("Allow", "POST");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      Instant at = Instant.now();
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      Map<String, List<String>> headers = new HashMap<>();
      exchange
          .getRequestHeaders()
          .forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
      ReceivedRequest request = parse(at, exchange.getRequestURI().getRawPath(), headers, body);
      Map<String, String> partitions = new LinkedHashMap<>(); // topic/partition -> "batch [first..last]"
      for (ReceivedMessage m : request.messages()) {
        String p = m.topic() + "/" + m.partition();
        String seen = partitions.get(p);
        String first = seen == null ? Long.toString(m.offset()) : seen.substring(seen.indexOf('[') + 1, seen.indexOf(".."));
        partitions.put(p, request.batchId() + " [" + first + ".." + m.offset() + "]");
      }
      opened(partitions);
      answer(exchange, request, partitions);
    } finally {
      exchange.close();
    }
  }

  /** A request arrived: it holds its partitions open until it is answered. */
  private void opened(Map<String, String> partitions) {
    synchronized (lock) {
      partitions.forEach((p, what) -> {
        List<String> earlier = open.computeIfAbsent(p, k -> new ArrayList<>());
        if (!earlier.isEmpty()) {
          overlaps.add(p + ": batch " + what + " arrived while " + earlier + " was unanswered");
        }
        earlier.add(what);
      });
    }
  }

  /** The request is answered (or dropped): its partitions are free again. Caller holds the lock. */
  private void closed(Map<String, String> partitions) {
    partitions.forEach((p, what) -> {
      List<String> earlier = open.get(p);
      if (earlier != null) {
        earlier.remove(what);
        if (earlier.isEmpty()) {
          open.remove(p);
        }
      }
    });
  }

  private void answer(HttpExchange exchange, ReceivedRequest request, Map<String, String> partitions) throws IOException {
    boolean recorded = false;
    try {
      Response response;
      try {
        response = responder.respond(requestNumber.incrementAndGet(), request);
      } catch (RuntimeException e) {
        response = Response.status(500).withBody("responder failed: " + e);
      }
      if (!response.delay().isZero()) {
        try {
          Thread.sleep(response.delay().toMillis()); // the scripted delay of this one request
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return; // closing
        }
      }
      synchronized (lock) {
        requests.add(request.withStatus(response.status()));
        // closed before the response leaves: the client may send the partition's next batch as soon as it sees it
        closed(partitions);
        recorded = true;
        lock.notifyAll();
      }
      response.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
      byte[] out = response.body().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(response.status(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream os = exchange.getResponseBody()) {
          os.write(out);
        }
      }
    } finally {
      if (!recorded) {
        synchronized (lock) {
          closed(partitions);
        }
      }
    }
  }

  /** Records a request; its messages are read with webhookd's {@link WebhookBatch#parse}. */
  static ReceivedRequest parse(Instant at, String path, Map<String, List<String>> headers, byte[] body) {
    List<ReceivedMessage> messages = new ArrayList<>();
    String batchId = null;
    try {
      WebhookBatch batch = WebhookBatch.parse(body);
      batchId = batch.batchId();
      for (WebhookMessage m : batch.messages()) {
        messages.add(message(m));
      }
    } catch (WebhookVerificationException | IOException e) {
      // Not a webhookd batch: recorded with its raw body and no messages.
      messages.clear();
      batchId = null;
    }
    return new ReceivedRequest(at, path, headers, body, -1, messages, batchId);
  }

  private static ReceivedMessage message(WebhookMessage m) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    m.headers().forEach((k, v) -> headers.put(k, v == null ? "" : v));
    return new ReceivedMessage(
        m.topic(), m.partition(), m.offset(), m.key(), JSON.readTree(m.value()), m.valueEncoding(), headers);
  }

  /** Stops the server at once; requests waiting on a scripted delay are dropped. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    pool.shutdownNow();
    server.stop(0);
  }

  @Override
  public String toString() {
    return "WebhookReceiver[" + url() + "]";
  }
}
