package io.webhookd.loadtest;

import io.webhookd.WebhookVerificationException;
import io.webhookd.WebhookVerifier;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The test webhook: a JDK {@link HttpServer} on 127.0.0.1 with its own thread pool. Each channel
 * ({@code POST /hook/{name}}) verifies the Standard Webhooks signature of every request, checks
 * that {@code batch_id} equals {@code webhook-id}, reads each message's partition, offset,
 * timestamp and payload {@code seq}, and counts it; {@link HttpFaults} can make it refuse or stall
 * requests. Refused requests record nothing (the sender must deliver them again).
 *
 * <p>Control endpoints, used when the receiver runs in its own JVM ({@link ReceiverMain}): {@code
 * POST /control/channel?name=&secret=&latency_from_ms=}, {@code POST
 * /control/latency_from?name=&ms=} and {@code GET /control/stats?name=}.
 */
final class Receiver implements AutoCloseable {
  private static final JsonFactory JSON = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService pool;
  private final Map<String, Channel> channels = new ConcurrentHashMap<>();
  final HttpFaults faults;

  private Receiver(HttpServer server, ExecutorService pool, HttpFaults faults) {
    this.server = server;
    this.pool = pool;
    this.faults = faults;
  }

  static Receiver start(int port, int threads, HttpFaults faults) throws IOException {
    // TCP_NODELAY on accepted connections, as every production HTTP server sets it: without it
    // Nagle's algorithm holds the second write of a response until the client's delayed ACK
    // (up to 40 ms on Linux), which showed as a 30-60 ms tail at batch size 1 for every sender.
    // Read once, when the JDK's server configuration is first loaded.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
    AtomicInteger n = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "receiver-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    Receiver receiver = new Receiver(server, pool, faults);
    server.createContext("/hook/", receiver::hook);
    server.createContext("/control/", receiver::control);
    server.setExecutor(pool);
    server.start();
    return receiver;
  }

  int port() {
    return server.getAddress().getPort();
  }

  URI url(String channel) {
    return URI.create("http://127.0.0.1:" + port() + "/hook/" + channel);
  }

  /** A new channel (replacing any of the same name). */
  Channel channel(String name, @Nullable String secret, Channel.@Nullable Sink sink) {
    Channel c = new Channel(name, secret == null ? null : WebhookVerifier.of(secret), sink);
    channels.put(name, c);
    return c;
  }

  @Nullable Channel get(String name) {
    return channels.get(name);
  }

  private void hook(HttpExchange ex) throws IOException {
    try (ex) {
      String name = ex.getRequestURI().getPath().substring("/hook/".length());
      Channel ch = channels.get(name);
      if (ch == null || !ex.getRequestMethod().equals("POST")) {
        drain(ex.getRequestBody());
        ex.sendResponseHeaders(404, -1);
        return;
      }
      ch.requests.incrementAndGet();
      HttpFaults.Refusal refusal = faults.decide(System.currentTimeMillis());
      if (refusal != null) {
        drain(ex.getRequestBody());
        ch.refused.incrementAndGet();
        if (refusal.status() == 429) {
          ex.getResponseHeaders().add("Retry-After", Integer.toString(refusal.retryAfterSeconds()));
        }
        ex.sendResponseHeaders(refusal.status(), -1);
        return;
      }
      byte[] body = ex.getRequestBody().readAllBytes();
      long slow = faults.slowMillis();
      if (slow > 0) {
        faults.slowed.incrementAndGet();
        sleep(slow);
      }
      long receivedMs = System.currentTimeMillis();
      String id = ex.getRequestHeaders().getFirst("webhook-id");
      if (ch.verifier != null) {
        try {
          ch.verifier.verifySignature(ex.getRequestHeaders(), body);
        } catch (WebhookVerificationException e) {
          ch.badSignature.incrementAndGet();
          ch.lastProblem = "bad signature: " + e.getMessage();
          ex.sendResponseHeaders(401, -1);
          return;
        }
      }
      List<Channel.Msg> messages = new ArrayList<>();
      String batchId;
      try {
        batchId = parse(body, messages);
      } catch (IOException | RuntimeException e) {
        ch.badBody.incrementAndGet();
        ch.lastProblem = "bad body: " + e;
        ex.sendResponseHeaders(400, -1);
        return;
      }
      for (Channel.Msg m : messages) {
        if (faults.isPoison(m.seq())) {
          faults.answered400.incrementAndGet();
          ch.refused.incrementAndGet();
          byte[] why = ("poison message seq " + m.seq()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
          ex.sendResponseHeaders(400, why.length);
          ex.getResponseBody().write(why);
          return;
        }
      }
      if (id != null && !id.equals(batchId)) {
        ch.badBody.incrementAndGet();
        ch.lastProblem = "batch_id " + batchId + " is not the webhook-id header " + id;
      }
      ch.accept(batchId, receivedMs, messages);
      ex.sendResponseHeaders(200, -1);
    }
  }

  /** Reads a wire-format batch; returns its batch_id and adds its messages. */
  static String parse(byte[] body, List<Channel.Msg> out) throws IOException {
    String batchId = "";
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("the body is not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String f = p.currentName();
        JsonToken t = p.nextToken();
        if (f.equals("batch_id")) {
          batchId = p.getText();
        } else if (f.equals("messages") && t == JsonToken.START_ARRAY) {
          while (p.nextToken() == JsonToken.START_OBJECT) {
            out.add(message(p));
          }
        } else {
          p.skipChildren();
        }
      }
    }
    return batchId;
  }

  private static Channel.Msg message(JsonParser p) throws IOException {
    String topic = "";
    int partition = -1;
    long offset = -1;
    long ts = 0;
    int seq = -1;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      JsonToken t = p.nextToken();
      switch (f) {
        case "topic" -> topic = p.getText();
        case "partition" -> partition = p.getIntValue();
        case "offset" -> offset = p.getLongValue();
        case "timestamp" -> ts = isoMillis(p.getText());
        case "value" -> {
          if (t == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String vf = p.currentName();
              p.nextToken();
              if (vf.equals("seq")) {
                seq = p.getIntValue();
              } else {
                p.skipChildren();
              }
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    return new Channel.Msg(seq, topic, partition, offset, ts);
  }

  /** Epoch millis of {@code yyyy-MM-ddTHH:mm:ss.SSSZ}, without java.time parsing on the hot path. */
  static long isoMillis(String s) {
    int y = Integer.parseInt(s, 0, 4, 10);
    int mo = Integer.parseInt(s, 5, 7, 10);
    int d = Integer.parseInt(s, 8, 10, 10);
    int h = Integer.parseInt(s, 11, 13, 10);
    int mi = Integer.parseInt(s, 14, 16, 10);
    int se = Integer.parseInt(s, 17, 19, 10);
    int ms = s.length() > 20 && s.charAt(19) == '.' ? Integer.parseInt(s, 20, 23, 10) : 0;
    long day = LocalDate.of(y, mo, d).toEpochDay();
    return ((day * 24 + h) * 60 + mi) * 60_000L + se * 1000L + ms;
  }

  private void control(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      Map<String, String> q = query(ex.getRequestURI().getRawQuery());
      drain(ex.getRequestBody());
      byte[] out;
      if (path.equals("/control/channel") && ex.getRequestMethod().equals("POST")) {
        Channel c = channel(q.get("name"), q.get("secret"), null);
        if (q.containsKey("latency_from_ms")) {
          c.latencyFrom(Long.parseLong(q.get("latency_from_ms")));
        }
        out = MAPPER.writeValueAsBytes(Map.of("url", url(c.name).toString()));
      } else if (path.equals("/control/latency_from") && ex.getRequestMethod().equals("POST")) {
        Channel c = channels.get(q.getOrDefault("name", ""));
        if (c == null) {
          ex.sendResponseHeaders(404, -1);
          return;
        }
        c.latencyFrom(Long.parseLong(q.get("ms")));
        out = MAPPER.writeValueAsBytes(Map.of("latency_from_ms", Long.parseLong(q.get("ms"))));
      } else if (path.equals("/control/stats")) {
        Channel c = channels.get(q.getOrDefault("name", ""));
        if (c == null) {
          ex.sendResponseHeaders(404, -1);
          return;
        }
        out = MAPPER.writeValueAsBytes(c.stats());
      } else {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, out.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(out);
      }
    }
  }

  private static Map<String, String> query(@Nullable String raw) {
    Map<String, String> m = new HashMap<>();
    if (raw == null) {
      return m;
    }
    for (String kv : raw.split("&")) {
      int i = kv.indexOf('=');
      if (i > 0) {
        m.put(kv.substring(0, i), URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
      }
    }
    return m;
  }

  private static void drain(InputStream in) throws IOException {
    in.readAllBytes();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
