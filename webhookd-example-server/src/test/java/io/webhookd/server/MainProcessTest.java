package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server as users run it: a separate JVM with nothing configured but a data dir, so it starts
 * its own Kafka broker and H2 file, prints the generated admin key once, takes messages from the
 * {@code produce} subcommand, and exits 0 on SIGTERM.
 */
class MainProcessTest {
  static final Pattern API = Pattern.compile("REST API listening on http://[^:]+:(\\d+)");
  static final Pattern KAFKA = Pattern.compile("embedded Kafka broker listening on (127\\.0\\.0\\.1:\\d+)");
  @TempDir Path dir;

  record Running(Process process, List<String> lines, Thread reader) {
    /** Waits for the process to end and its output to be read; returns the exit status. */
    int awaitExit() throws InterruptedException {
      assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("exited").isTrue();
      reader.join(30_000);
      return process.exitValue();
    }

    String awaitLine(Pattern p) {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> find(p) != null || !process.isAlive());
      String found = find(p);
      assertThat(found).as("output: " + lines).isNotNull();
      return found;
    }

    String find(Pattern p) {
      for (String l : lines) {
        Matcher m = p.matcher(l);
        if (m.find()) {
          return m.group(1);
        }
      }
      return null;
    }
  }

  Running start(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx512m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("WEBHOOKD_"));
    pb.environment().put("WEBHOOKD_DATA_DIR", dir.resolve("data").toString());
    pb.environment().put("WEBHOOKD_HTTP_PORT", "0");
    pb.environment().put("WEBHOOKD_HTTP_HOST", "127.0.0.1");
    pb.environment().put("WEBHOOKD_EMBEDDED_KAFKA_PORT", "0");
    Process p = pb.start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                  lines.add(l);
                }
              } catch (IOException e) {
                // process ended
              }
            });
    t.setDaemon(true);
    t.start();
    return new Running(p, lines, t);
  }

  /** SIGTERM, as a service manager sends it ({@code Process.destroy()} would also close our pipes). */
  static void sigterm(Process p) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).inheritIO().start().waitFor();
  }

  static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  @Test
  @DisplayName("starts with embedded Kafka and H2, prints the admin key once, produce works, SIGTERM exits 0, restart keeps data")
  void runsLikeAUserRunsIt() throws Exception {
    Running first = start();
    String port;
    String key;
    try {
      port = first.awaitLine(API);
      String bootstrap = first.awaitLine(KAFKA);
      Path keyFile = dir.resolve("data").resolve("admin-api-key");
      key = Files.readString(keyFile).trim();
      assertThat(first.lines()).anyMatch(l -> l.contains(key));
      assertThat(first.lines().stream().filter(l -> l.contains("generated the admin API key")).count()).isEqualTo(1);

      HttpResponse<String> created =
          http("POST", port, "/1/Subscription", key,
              "{\"name\":\"q\",\"destination\":{\"kind\":\"webhook\",\"webhook\":{\"url\":\"https://example.com/hook\"}},"
                  + "\"source\":[{\"topic\":\"quickstart\"}]}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

      Process produce =
          new ProcessBuilder(javaBin(), "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                  "produce", "--topic", "produced", "--bootstrap-servers", bootstrap, "--key", "k1", "{\"amount\":120}")
              .redirectErrorStream(true)
              .start();
      String out = new String(produce.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(produce.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(produce.exitValue()).as(out).isZero();
      assertThat(out).contains("produced to produced partition 0 offset 0");
    } finally {
      sigterm(first.process());
    }
    assertThat(first.awaitExit()).as(String.join("\n", first.lines())).isZero();
    assertThat(first.lines()).anyMatch(l -> l.contains("webhookd stopped"));

    Running second = start();
    try {
      String port2 = second.awaitLine(API);
      assertThat(second.lines()).noneMatch(l -> l.contains("generated the admin API key"));
      assertThat(second.lines()).noneMatch(l -> l.contains(key));
      HttpResponse<String> list = http("GET", port2, "/1/Subscription", key, null);
      assertThat(list.statusCode()).isEqualTo(200);
      assertThat(list.body()).contains("\"name\":\"q\"");
    } finally {
      sigterm(second.process());
    }
    assertThat(second.awaitExit()).isZero();
  }

  @Test
  @DisplayName("the data dir is rwx------ and every file the server wrote in it rw-------; no input forges a log line")
  void keepsItsDataPrivateAndItsLogLinesWhole() throws Exception {
    Running r = start();
    try {
      String port = r.awaitLine(API);
      Path data = dir.resolve("data");
      String key = Files.readString(data.resolve("admin-api-key")).trim();
      assertThat(mode(data)).isEqualTo("rwx------");
      List<Path> written;
      try (var walk = Files.walk(data)) {
        written = walk.filter(p -> !p.equals(data)).toList();
      }
      // the H2 file, the key files, the instance id and the embedded broker's log
      assertThat(written).extracting(p -> data.relativize(p).toString())
          .contains("webhookd.mv.db", "webhookd.key", "admin-api-key", "instance-id", "kafka");
      for (Path p : written) {
        if (Files.exists(p)) { // the broker may delete or roll a file meanwhile
          assertThat(mode(p)).as(p.toString()).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
        }
      }

      String forged = "line1\nFORGED ERROR io.webhookd.server.RestApi - all keys rotated\u2028SECOND";
      HttpResponse<String> off = http("POST", port, "/1/EventNotificationAdmin", key,
          "{\"status\":\"offline\",\"offline_message\":" + TestServer.JSON.writeValueAsString(forged) + "}");
      assertThat(off.statusCode()).as(off.body()).isEqualTo(200);
      r.awaitLine(Pattern.compile("(admin took every webhook offline.*)"));
      assertThat(r.lines()).noneMatch(l -> l.startsWith("FORGED") || l.startsWith("SECOND"));
      assertThat(r.lines()).anyMatch(l -> l.contains("(line1\\nFORGED ERROR") && l.contains("\\u2028SECOND)"));
    } finally {
      sigterm(r.process());
    }
    assertThat(r.awaitExit()).isZero();
  }

  static String mode(Path p) throws IOException {
    return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  @DisplayName("a bad configuration exits 2 listing every problem")
  void badConfigurationExits2() throws Exception {
    Running r = start("--http-port", "x", "--log-format", "yaml", "--no-such-flag=1");
    assertThat(r.awaitExit()).isEqualTo(2);
    String all = String.join("\n", r.lines());
    assertThat(all).contains("3 problems").contains("--http-port").contains("--log-format");
  }

  static HttpResponse<String> http(String method, String port, String path, String key, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + key)
            .timeout(Duration.ofSeconds(30));
    if (body != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
