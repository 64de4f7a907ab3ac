package io.webhookd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * {@code java -jar webhookd-server.jar receive [--port 9000] [--secret whsec_…]}: a webhook
 * endpoint on 127.0.0.1 that prints every batch it receives, one line per message, and (with a
 * secret) verifies its Standard Webhooks signature, answering 401 when it does not match. For the
 * quick start and for trying a subscription out; not for production.
 */
final class ReceiveCommand implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;
  private final PrintStream out;
  private final @Nullable byte[] key;

  private ReceiveCommand(int port, @Nullable String secret, PrintStream out) throws IOException {
    this.out = out;
    this.key = secret == null ? null : Base64.getDecoder().decode(secret.substring(secret.indexOf('_') + 1));
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
    server.createContext("/", this::handle);
    server.start();
  }

  static ReceiveCommand start(int port, @Nullable String secret, PrintStream out) throws IOException {
    return new ReceiveCommand(port, secret, out);
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Runs until the process is stopped; returns an exit status. */
  static int run(List<String> args, PrintStream out, PrintStream err) {
    int port = 9000;
    String secret = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String value = i + 1 < args.size() ? args.get(i + 1) : null;
      if (a.equals("--port") && value != null) {
        try {
          port = Integer.parseInt(value);
        } catch (NumberFormatException e) {
          err.println("receive: --port must be a number between 0 and 65535, was '" + value + "'");
          return 2;
        }
        i++;
      } else if (a.equals("--secret") && value != null) {
        secret = value;
        i++;
      } else {
        err.println("usage: receive [--port 9000] [--secret whsec_...]   (unknown argument '" + a + "')");
        return 2;
      }
    }
    if (port < 0 || port > 65535) {
      err.println("receive: --port must be between 0 and 65535, was " + port);
      return 2;
    }
    if (secret != null && !secret.startsWith("whsec_")) {
      err.println("receive: --secret must start with whsec_");
      return 2;
    }
    try (ReceiveCommand r = start(port, secret, out)) {
      out.println("receiving webhooks on http://127.0.0.1:" + r.port() + "/ (Ctrl-C to stop)"
          + (secret == null ? "" : "; verifying signatures"));
      new CountDownLatch(1).await();
      return 0;
    } catch (IOException e) {
      err.println("receive: cannot listen on 127.0.0.1:" + port + ": " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex; InputStream in = ex.getRequestBody()) {
      byte[] body = in.readNBytes(64 * 1024 * 1024);
      if (!ex.getRequestMethod().equals("POST")) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      if (key != null && !verified(ex, body)) {
        synchronized (out) {
          out.println("rejected a request: missing or wrong webhook-signature");
        }
        ex.sendResponseHeaders(401, -1);
        return;
      }
      print(ex.getRequestHeaders().getFirst("webhook-id"), body);
      ex.sendResponseHeaders(204, -1);
    }
  }

  private boolean verified(HttpExchange ex, byte[] body) {
    String id = ex.getRequestHeaders().getFirst("webhook-id");
    String ts = ex.getRequestHeaders().getFirst("webhook-timestamp");
    String sig = ex.getRequestHeaders().getFirst("webhook-signature");
    if (id == null || ts == null || sig == null) {
      return false;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
      byte[] expected = mac.doFinal(body);
      for (String part : sig.split(" ")) {
        if (part.startsWith("v1,")
            && MessageDigest.isEqual(Base64.getDecoder().decode(part.substring(3)), expected)) {
          return true;
        }
      }
      return false;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  private void print(@Nullable String batchId, byte[] body) {
    StringBuilder sb = new StringBuilder();
    try {
      JsonNode batch = JSON.readTree(body);
      JsonNode messages = batch.path("messages");
      sb.append("batch ").append(batchId).append(": ").append(messages.size()).append(" message(s)\n");
      for (JsonNode m : messages) {
        sb.append("  ").append(m.path("topic").asText()).append('/').append(m.path("partition").asInt())
            .append('@').append(m.path("offset").asLong()).append(" key=").append(m.path("key"))
            .append(' ').append(m.path("value")).append('\n');
      }
    } catch (IOException e) {
      sb.append("batch ").append(batchId).append(": not JSON (").append(body.length).append(" bytes)\n");
    }
    synchronized (out) {
      out.print(sb);
      out.flush();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
