package io.webhookd.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.webhookd.WebhookVerificationException;
import io.webhookd.WebhookVerifier;
import io.webhookd.internal.Signer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness's own pieces, without a broker. */
class PartsTest {
  @Test
  @DisplayName("experiment properties: key=value pairs of a system property, trimmed, malformed pairs skipped")
  void experimentProperties() {
    String name = "webhookd.test.parts." + System.nanoTime();
    assertThat(Engines.fromSystemProperty(name)).isEmpty();
    System.setProperty(name, "fetch.max.wait.ms=100, max.poll.records = 7,novalue,=x");
    try {
      assertThat(Engines.fromSystemProperty(name))
          .containsExactly(java.util.Map.entry("fetch.max.wait.ms", "100"), java.util.Map.entry("max.poll.records", "7"));
    } finally {
      System.clearProperty(name);
    }
  }

  @Test
  @DisplayName("generate writes a CSV that reads back to the same rows, in time order over the duration")
  void csvRoundTrip(@TempDir Path dir) throws Exception {
    List<Payloads.Row> rows = Payloads.generate(500, 3, 10_000, 1024, 5, "loadtest");
    Csv.write(dir.resolve("in.csv"), rows);
    List<Payloads.Row> back = Csv.read(dir.resolve("in.csv"));
    assertThat(back).hasSize(500);
    assertThat(back.get(7).payload()).isEqualTo(rows.get(7).payload());
    assertThat(back.get(499).offsetMs()).isLessThanOrEqualTo(10_000);
    assertThat(rows.get(0).payload().length).isBetween(1000, 1100);
    assertThat(back.stream().map(Payloads.Row::topic).distinct()).containsExactlyInAnyOrder("loadtest-0", "loadtest-1", "loadtest-2");
  }

  @Test
  @DisplayName("the expectation evaluator agrees with JMESPath semantics on the generated fields")
  void expectedFilter() {
    Payloads.Fields eu = new Payloads.Fields(1, "eu", 120);
    Payloads.Fields us = new Payloads.Fields(2, "us", 80);
    assertThat(ExpectedFilter.of(List.of("value.region == 'eu'")).test(eu)).isTrue();
    assertThat(ExpectedFilter.of(List.of("value.region == 'eu'")).test(us)).isFalse();
    assertThat(ExpectedFilter.of(List.of("value.amount > `100`", "value.region != 'us'")).test(eu)).isTrue();
    assertThat(ExpectedFilter.of(List.of("value.amount > `100`")).test(us)).isFalse();
    assertThatThrownBy(() -> ExpectedFilter.of(List.of("length(value) > `1`"))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("the naive relay signs as webhookd does: the receiver's WebhookVerifier accepts its signatures and refuses tampering")
  void signatures() {
    String secret = WebhookVerifier.newSecret();
    byte[] body = "{\"a\":1}".getBytes();
    long now = java.time.Instant.now().getEpochSecond();
    String sig = NaiveRelay.sign(secret, "msg_1", now, body);
    assertThat(sig).isEqualTo(new Signer(secret).sign("msg_1", now, body));
    WebhookVerifier v = WebhookVerifier.of(secret);
    assertThat(v.verifySignature(headers("msg_1", now, "v1,AAAA " + sig), body)).isEqualTo("msg_1");
    assertThatThrownBy(() -> v.verifySignature(headers("msg_2", now, sig), body)).isInstanceOf(WebhookVerificationException.class);
    assertThatThrownBy(() -> v.verifySignature(headers("msg_1", now, sig), "{\"a\":2}".getBytes())).isInstanceOf(WebhookVerificationException.class);
  }

  private static java.util.Map<String, List<String>> headers(String id, long ts, String signature) {
    return java.util.Map.of("webhook-id", List.of(id), "webhook-timestamp", List.of(Long.toString(ts)), "webhook-signature", List.of(signature));
  }

  @Test
  @DisplayName("the receiver parses the wire format and ISO timestamps")
  void parse() throws Exception {
    List<Channel.Msg> out = new ArrayList<>();
    String id = Receiver.parse(("{\"subscription_id\":\"s\",\"batch_id\":\"b1\",\"messages\":[{\"topic\":\"t\",\"partition\":2,"
        + "\"offset\":9,\"timestamp\":\"2026-11-29T10:15:30.123Z\",\"key\":\"k\",\"value\":{\"x\":[1,{\"seq\":5}],\"seq\":77},"
        + "\"headers\":{\"h\":\"v\"}}]}").getBytes(), out);
    assertThat(id).isEqualTo("b1");
    assertThat(out).containsExactly(new Channel.Msg(77, "t", 2, 9, java.time.Instant.parse("2026-11-29T10:15:30.123Z").toEpochMilli()));
  }

  @Test
  @DisplayName("faults and durations parse, and bad ones say what is wrong")
  void faults() {
    assertThat(Fault.parse("http-5xx:0.1").fraction()).isEqualTo(0.1);
    assertThat(Fault.parse("slow:200ms").duration()).isEqualTo(Duration.ofMillis(200));
    assertThat(Fault.parse("http-5xx-window:5s").duration()).isEqualTo(Duration.ofSeconds(5));
    assertThat(Fault.parse("429:2").seconds()).isEqualTo(2);
    assertThat(Fault.parse("kafka-scale").kind()).isEqualTo(Fault.Kind.KAFKA_SCALE);
    assertThat(Fault.parse("kafka-scale")).hasToString("kafka-scale");
    assertThatThrownBy(() -> Fault.parse("kafka-scale:2")).hasMessageContaining("kafka-scale takes no argument");
    assertThatThrownBy(() -> Fault.parse("http-5xx:2")).hasMessageContaining("between 0 and 1");
    assertThatThrownBy(() -> Fault.parse("slow")).hasMessageContaining("needs an argument");
    assertThatThrownBy(() -> Durations.parse("5 parsecs")).hasMessageContaining("number and a unit");
  }

  @Test
  @DisplayName("the broker faults refuse an external cluster, naming the fault: exit status 2 before anything starts")
  void brokerFaultsNeedTheInProcessCluster() {
    for (String fault : List.of("kafka-scale", "broker-restart")) {
      java.io.StringWriter err = new java.io.StringWriter();
      picocli.CommandLine cl = LoadTestMain.commandLine();
      cl.setErr(new java.io.PrintWriter(err, true));
      int code = cl.execute("run", "--bootstrap", "127.0.0.1:1", "--fault", fault);
      assertThat(code).isEqualTo(2);
      assertThat(err.toString()).contains("error: " + fault + " needs the in-process cluster (no --bootstrap)");
    }
  }

  @Test
  @DisplayName("scale refuses options that make no run before anything starts, naming the option: exit status 2")
  void scaleOptions() {
    List<List<String>> bad = List.of(
        List.of("scale", "--share-idle", "-1"),
        List.of("scale", "--backlog", "-5"),
        List.of("scale", "--messages", "-1"),
        List.of("scale", "--engines", "2", "--backlog", "1000"));
    List<String> said = List.of(
        "error: --share-idle must be 0 (off) or a number of seconds, was -1",
        "error: --backlog must be 0 (off) or a number of messages, was -5",
        "error: --messages must be 0 (no busy phase) or more, was -1",
        "error: --backlog is measured on one engine: leave out --engines");
    for (int i = 0; i < bad.size(); i++) {
      java.io.StringWriter err = new java.io.StringWriter();
      picocli.CommandLine cl = LoadTestMain.commandLine();
      cl.setErr(new java.io.PrintWriter(err, true));
      assertThat(cl.execute(bad.get(i).toArray(String[]::new))).isEqualTo(2);
      assertThat(err.toString()).contains(said.get(i));
    }
    ScaleCommand parsed = new ScaleCommand();
    new picocli.CommandLine(parsed).parseArgs("--share-idle", "30", "--backlog", "20000", "--messages", "0");
    assertThat(parsed.shareIdle).isEqualTo(30);
    assertThat(parsed.backlog).isEqualTo(20_000);
    assertThat(parsed.messages).isZero();
    parsed.validate();
    ScaleCommand defaults = new ScaleCommand();
    new picocli.CommandLine(defaults).parseArgs();
    assertThat(defaults.shareIdle).isZero();
    assertThat(defaults.backlog).isZero();
  }

  @Test
  @DisplayName("scale's figures: nearest-rank quantiles, backlog values of about 200 bytes of JSON, the load tick of a key")
  void scaleFigures() throws Exception {
    List<Long> ms = new ArrayList<>();
    for (long i = 1; i <= 200; i++) {
      ms.add(i * 1_000_000L);
    }
    assertThat(ScaleCommand.quantile(ms, 0.5)).isEqualTo(100_000_000L);
    assertThat(ScaleCommand.quantile(ms, 0.9)).isEqualTo(180_000_000L);
    assertThat(ScaleCommand.quantile(ms, 0.99)).isEqualTo(198_000_000L);
    assertThat(ScaleCommand.quantile(List.of(7L), 0.99)).isEqualTo(7L);
    assertThat(ScaleCommand.quantiles(ms)).isEqualTo("median 0.10 s, p90 0.18 s, p99 0.20 s, max 0.20 s");
    byte[] v = ScaleCommand.backlogValue("among", 12345);
    assertThat(v.length).isBetween(195, 210);
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(v).path("phase").asText()).isEqualTo("among");
    assertThat(ScaleOutRun.loadTick("load-17-3")).isEqualTo(17);
    assertThat(ScaleOutRun.loadTick("warm")).isEqualTo(-1);
    assertThat(ScaleOutRun.loadTick(null)).isEqualTo(-1);
  }

  @Test
  @DisplayName("scale --engines: deliveries resumed when each subscription of the killed engine had a message produced after the kill")
  void deliveriesResumed() {
    java.time.Instant kill = java.time.Instant.parse("2026-01-01T00:00:00Z");
    List<io.webhookd.testkit.ReceivedRequest> requests = List.of(
        request("/s/1", kill.plusMillis(500), "load-5-0"), // produced before the kill (tick 5)
        request("/s/1", kill.plusMillis(4000), "load-6-0"),
        request("/s/2", kill.plusMillis(9000), "load-7-1"),
        request("/s/2", kill.plusMillis(2000), "load-5-1"),
        request("/s/3", kill.plusMillis(1000), "load-9-0")); // not the killed engine's
    assertThat(ScaleOutRun.resumed(requests, java.util.Set.of("/s/1", "/s/2"), 5, kill, "engine-a"))
        .startsWith("deliveries resumed 9.0 s after the kill: by then each of the 2 subscriptions of engine-a")
        .endsWith("median 4.0 s, last 9.0 s after the kill");
    assertThat(ScaleOutRun.resumed(requests, java.util.Set.of("/s/1", "/s/2", "/s/4"), 5, kill, "engine-a"))
        .startsWith("deliveries resumed: only 2 of the 3 subscriptions of engine-a");
  }

  private static io.webhookd.testkit.ReceivedRequest request(String path, java.time.Instant at, String key) {
    io.webhookd.testkit.ReceivedMessage m = new io.webhookd.testkit.ReceivedMessage(
        "scale-0", 0, 1, key, com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), null, java.util.Map.of());
    return new io.webhookd.testkit.ReceivedRequest(at, path, java.util.Map.of(), new byte[0], 200, List.of(m), "b");
  }

  @Test
  @DisplayName("the seed's spelling works: csv-generate -csv x.csv -duration 1m -rows 1000 -topics 3")
  void seedSpellingOfGenerate(@TempDir Path dir) throws Exception {
    Path seedCsv = dir.resolve("seed.csv");
    Path ours = dir.resolve("ours.csv");
    int seed = LoadTestMain.commandLine()
        .execute("csv-generate", "-csv", seedCsv.toString(), "-duration", "1m", "-rows", "1000", "-topics", "3");
    int same = LoadTestMain.commandLine()
        .execute("generate", "--csv", ours.toString(), "--duration", "1m", "--rows", "1000", "--topics", "3");
    assertThat(seed).isZero();
    assertThat(same).isZero();
    List<Payloads.Row> rows = Csv.read(seedCsv);
    assertThat(rows).hasSize(1000);
    assertThat(rows.stream().map(Payloads.Row::topic).distinct()).hasSize(3);
    assertThat(java.nio.file.Files.readAllLines(seedCsv)).isEqualTo(java.nio.file.Files.readAllLines(ours));
  }
}
