package io.webhookd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/** A real server started in-process on a free port, and an HTTP client for it. */
final class TestServer implements AutoCloseable {
  static final String ADMIN_KEY = "test-admin-key-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();

  final WebhookdServer server;
  final String base;
  final ByteArrayOutputStream printed = new ByteArrayOutputStream();

  private TestServer(WebhookdServer server, ByteArrayOutputStream printed) {
    this.server = server;
    this.base = "http://127.0.0.1:" + server.port();
    this.printed.writeBytes(printed.toByteArray());
  }

  static TestServer start(KafkaCluster kafka, Path dataDir, @Nullable Path clientsFile) {
    return start(kafka.bootstrapServers(), dataDir, clientsFile, Map.of());
  }

  static TestServer start(
      @Nullable String bootstrap, Path dataDir, @Nullable Path clientsFile, Map<String, String> extra) {
    return start(bootstrap, dataDir, clientsFile, extra, UnaryOperator.identity());
  }

  static TestServer start(
      @Nullable String bootstrap,
      Path dataDir,
      @Nullable Path clientsFile,
      Map<String, String> extra,
      UnaryOperator<SubscriptionStore> storeChoice) {
    Map<String, String> env = new HashMap<>();
    env.put("WEBHOOKD_HTTP_HOST", "127.0.0.1");
    env.put("WEBHOOKD_HTTP_PORT", "0");
    env.put("WEBHOOKD_DATA_DIR", dataDir.toString());
    if (bootstrap != null) {
      env.put("WEBHOOKD_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
    }
    env.put("WEBHOOKD_ADMIN_API_KEY", ADMIN_KEY);
    env.put("WEBHOOKD_ALLOW_PRIVATE_DESTINATIONS", "true");
    if (clientsFile != null) {
      env.put("WEBHOOKD_CLIENTS_FILE", clientsFile.toString());
    }
    env.putAll(extra);
    env.values().removeIf(v -> v == null);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    WebhookdServer s =
        WebhookdServer.start(
            ServerConfig.from(env, List.of()), new PrintStream(out, true, StandardCharsets.UTF_8), null, storeChoice);
    return new TestServer(s, out);
  }

  /** An answer: status, headers, body text and (when JSON) the parsed body. */
  record Answer(int status, Map<String, List<String>> headers, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + body, e);
      }
    }

    @Nullable String header(String name) {
      for (var e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  Answer call(String method, String path, @Nullable String key, @Nullable Object body, String... headers) {
    try {
      return callOnce(method, path, key, body, headers);
    } catch (UncheckedIOException e) {
      // a pooled connection the server had closed (after a 413, say): one fresh try
      return callOnce(method, path, key, body, headers);
    }
  }

  private Answer callOnce(String method, String path, @Nullable String key, @Nullable Object body, String... headers) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
      if (key != null) {
        b.header("Authorization", "Bearer " + key);
      }
      boolean hasType = false;
      for (int i = 0; i < headers.length; i += 2) {
        b.header(headers[i], headers[i + 1]);
        hasType |= headers[i].equalsIgnoreCase("Content-Type");
      }
      HttpRequest.BodyPublisher publisher;
      if (body == null) {
        publisher = HttpRequest.BodyPublishers.noBody();
      } else {
        byte[] bytes =
            body instanceof byte[] raw
                ? raw
                : body instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(body);
        publisher = HttpRequest.BodyPublishers.ofByteArray(bytes);
        if (!hasType) {
          b.header("Content-Type", "application/json");
        }
      }
      b.method(method, publisher);
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.headers().map(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  Answer get(String path, @Nullable String key) {
    return call("GET", path, key, null);
  }

  Answer post(String path, @Nullable String key, Object body) {
    return call("POST", path, key, body);
  }

  /** Sends bytes as they are (no client-side checks or normalization) and returns the status line's code. */
  int raw(byte[] request) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = s.getInputStream();
      byte[] head = new byte[12];
      int n = 0;
      while (n < 12) {
        int r = in.read(head, n, 12 - n);
        if (r < 0) {
          break;
        }
        n += r;
      }
      String line = new String(head, 0, n, StandardCharsets.ISO_8859_1);
      if (!line.startsWith("HTTP/1.1 ") || line.length() < 12) {
        return -1;
      }
      return Integer.parseInt(line.substring(9, 12));
    } catch (IOException e) {
      // the server closed the connection: for a hostile request that is an answer, not a 5xx
      return 0;
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
