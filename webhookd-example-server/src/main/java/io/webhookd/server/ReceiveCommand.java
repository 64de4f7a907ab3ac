package io.webhookd.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.webhookd.WebhookBatch;
import io.webhookd.WebhookMessage;
import io.webhookd.WebhookVerificationException;
import io.webhookd.WebhookVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * {@code java -jar webhookd-server.jar receive [--port 9000] [--secret whsec_…]}: a webhook
 * endpoint on 127.0.0.1 that prints every batch it receives, one line per message, and (with a
 * secret) verifies it with {@link WebhookVerifier} (signature and timestamp), answering 401 when
 * it does not pass. For the quick start and for trying a subscription out; not for production.
 */
final class ReceiveCommand implements AutoCloseable {
  private final HttpServer server;
  private final PrintStream out;
  private final @Nullable WebhookVerifier verifier;

  private ReceiveCommand(int port, @Nullable String secret, PrintStream out) throws IOException {
    this.out = out;
    this.verifier = secret == null ? null : WebhookVerifier.of(secret);
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
    if (secret != null) {
      try {
        WebhookVerifier.of(secret);
      } catch (IllegalArgumentException e) {
        err.println("receive: --" + e.getMessage());
        return 2;
      }
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
      WebhookBatch batch;
      try {
        batch = verifier == null ? WebhookBatch.parse(body) : verifier.verify(ex.getRequestHeaders(), body);
      } catch (WebhookVerificationException e) {
        synchronized (out) {
          out.println("rejected a request: " + e.getMessage());
        }
        ex.sendResponseHeaders(e.reason().httpStatus(), -1);
        return;
      }
      print(batch);
      ex.sendResponseHeaders(204, -1);
    }
  }

  private void print(WebhookBatch batch) {
    StringBuilder sb = new StringBuilder();
    sb.append("batch ").append(batch.batchId()).append(": ").append(batch.messages().size()).append(" message(s)\n");
    for (WebhookMessage m : batch.messages()) {
      sb.append("  ").append(m.topic()).append('/').append(m.partition()).append('@').append(m.offset())
          .append(" key=").append(m.key() == null ? "null" : quoted(m.key()))
          .append(' ').append(m.value()).append('\n');
    }
    synchronized (out) {
      out.print(sb);
      out.flush();
    }
  }

  private static String quoted(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
