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
