package io.webhookd.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CI smoke of {@code run}: a few thousand messages on the in-process 3-broker cluster with
 * every fault once (broker restart, a broker added and one removed with partition reassignments,
 * engine crash, a 5xx fraction, a slow endpoint, 429 with Retry-After) and a filter; fails on any
 * missing, unexpected or badly signed message. Timings are reported by the tool, never asserted.
 */
class LoadTestSmokeTest {

  @Test
  @Timeout(240)
  @DisplayName("run with every fault once: every expected message arrives, none unexpected, all signatures valid")
  @SuppressWarnings("unchecked")
  void everyFaultOnceLosesNothing(@TempDir Path dir) throws Exception {
    CommandLine cl = LoadTestMain.commandLine();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    RunCommand run = cl.getSubcommands().get("run").getCommand();
    run.console = new PrintStream(buf, true, StandardCharsets.UTF_8);

    int code = cl.execute(
        "run", "--count", "3000", "--rate", "250", "--batch-size", "50", "--batch-interval", "200ms",
        "--filter", "value.region != 'apac'",
        "--fault", "broker-restart", "--fault", "kafka-scale", "--fault", "engine-crash", "--fault", "http-5xx:0.1",
        "--fault", "slow:200ms", "--fault", "429:1",
        "--deadline", "90s", "--out", dir.toString());

    String output = buf.toString(StandardCharsets.UTF_8);
    System.out.println(output);
    Map<String, Object> result = run.result;
    assertThat(result).as(output).isNotNull();
    Map<String, Object> counts = (Map<String, Object>) result.get("counts");
    assertThat(((Number) counts.get("missing")).longValue()).as("missing; output:%n%s", output).isZero();
    assertThat(((Number) counts.get("unexpected")).longValue()).as("unexpected").isZero();
    // the crash left delivered-but-uncommitted batches: the next engine delivered them again
    assertThat(((Number) counts.get("duplicates")).longValue()).as("duplicates after the crash").isPositive();
    assertThat(((Number) counts.get("produced")).longValue()).isEqualTo(3000);
    assertThat(((Number) counts.get("expected")).longValue()).isBetween(1500L, 2999L);
    assertThat(((Map<String, Object>) result.get("receiver")).get("bad_signature")).isEqualTo(0L);
    assertThat(code).isZero();

    // every fault really happened
    List<Map<String, Object>> events = (List<Map<String, Object>>) result.get("events");
    assertThat(events).extracting(e -> (String) e.get("event"))
        .anyMatch(e -> e.matches("broker \\d+ started again"))
        .anyMatch(e -> e.matches("broker 3 added: 3 partition\\(s\\) reassigned onto it.*"))
        .anyMatch(e -> e.matches("broker \\d removed .*"))
        .contains("new engine started");
    Map<String, Object> scale = (Map<String, Object>) result.get("kafka_scale");
    assertThat(scale).containsEntry("added_broker", 3).containsEntry("add_partitions_reassigned", 3);
    assertThat(((Number) scale.get("remove_replicas_reassigned")).intValue()).isPositive();
    assertThat(((Number) scale.get("remove_internal_replicas_reassigned")).longValue()).isPositive();
    Map<String, Object> http = (Map<String, Object>) result.get("http_faults");
    assertThat(((Number) http.get("answered_500_fraction")).longValue()).isPositive();
    assertThat(((Number) http.get("answered_429")).longValue()).isPositive();
    assertThat(((Number) http.get("slowed")).longValue()).isPositive();

    // the SQLite record agrees, and the reports were written
    Map<String, Object> sql = (Map<String, Object>) result.get("sqlite_check");
    assertThat(sql.get("missing")).isEqualTo(0L);
    assertThat(sql.get("offset_mismatches")).isEqualTo(0L);
    assertThat(sql.get("delivered_unique")).isEqualTo(counts.get("delivered_unique"));
    assertThat(dir.resolve("result.json")).isNotEmptyFile();
    assertThat(Files.readString(dir.resolve("report.html"))).contains("<svg").doesNotContain("<script");
  }
}
