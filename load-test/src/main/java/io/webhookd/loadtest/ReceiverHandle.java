package io.webhookd.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The bench's view of a receiver: in this JVM, or in a JVM of its own. */
interface ReceiverHandle extends AutoCloseable {
  /** Makes a channel and returns its webhook URL. */
  URI channel(String name, String secret, long latencyFromMs) throws IOException;

  /** From now on only messages produced at or after {@code epochMs} count towards latency. */
  void latencyFrom(String name, long epochMs) throws IOException;

  /** unique, duplicates, first_ms, last_new_ms, bad_signature, latency {...} */
  JsonNode stats(String name) throws IOException;

  String describe();

  @Override
  void close();

  static ReceiverHandle inProcess(int threads) throws IOException {
    Receiver r = Receiver.start(0, threads, new HttpFaults());
    ObjectMapper mapper = new ObjectMapper();
    return new ReceiverHandle() {
      @Override
      public URI channel(String name, String secret, long latencyFromMs) {
        r.channel(name, secret, null).latencyFrom(latencyFromMs);
        return r.url(name);
      }

      @Override
      public void latencyFrom(String name, long epochMs) {
        r.get(name).latencyFrom(epochMs);
      }

      @Override
      public JsonNode stats(String name) {
        return mapper.valueToTree(r.get(name).stats());
      }

      @Override
      public String describe() {
        return "in-process (same JVM as Kafka and the sender)";
      }

      @Override
      public void close() {
        r.close();
      }
    };
  }

  /** Spawns {@code java -cp <this class path> io.webhookd.loadtest.ReceiverMain}. */
  static ReceiverHandle separateJvm(int threads) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"),
        "io.webhookd.loadtest.ReceiverMain", "--port", "0", "--threads", Integer.toString(threads)));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (line == null || !line.startsWith("LISTENING ")) {
      p.destroyForcibly();
      throw new IOException("the receiver JVM did not start: " + line);
    }
    int port = Integer.parseInt(line.substring("LISTENING ".length()).trim());
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ObjectMapper mapper = new ObjectMapper();
    String base = "http://127.0.0.1:" + port;
    return new ReceiverHandle() {
      @Override
      public URI channel(String name, String secret, long latencyFromMs) throws IOException {
        JsonNode n = call(HttpRequest.newBuilder(URI.create(base + "/control/channel?name=" + enc(name) + "&secret=" + enc(secret)
            + "&latency_from_ms=" + latencyFromMs)).POST(HttpRequest.BodyPublishers.noBody()));
        return URI.create(n.get("url").asText());
      }

      @Override
      public void latencyFrom(String name, long epochMs) throws IOException {
        call(HttpRequest.newBuilder(URI.create(base + "/control/latency_from?name=" + enc(name) + "&ms=" + epochMs))
            .POST(HttpRequest.BodyPublishers.noBody()));
      }

      @Override
      public JsonNode stats(String name) throws IOException {
        return call(HttpRequest.newBuilder(URI.create(base + "/control/stats?name=" + enc(name))).GET());
      }

      private JsonNode call(HttpRequest.Builder b) throws IOException {
        try {
          HttpResponse<byte[]> r = http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() != 200) {
            throw new IOException("receiver control answered " + r.statusCode());
          }
          return mapper.readTree(r.body());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }

      private String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
      }

      @Override
      public String describe() {
        return "separate JVM (pid " + p.pid() + ", -Xmx512m)";
      }

      @Override
      public void close() {
        try {
          p.getOutputStream().close();
          if (!p.waitFor(5, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
        } catch (IOException e) {
          p.destroyForcibly();
        } catch (InterruptedException e) {
          p.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
    };
  }
}
