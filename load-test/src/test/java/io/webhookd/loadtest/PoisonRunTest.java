package io.webhookd.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The http-400 fault: the webhook refuses some messages for ever; with on_exhausted dead_letter
 * every expected message is delivered or dead-lettered (the report's equation), none missing.
 */
class PoisonRunTest {

  @Test
  @Timeout(180)
  @DisplayName("http-400 with dead_letter: expected = delivered + dead-lettered, 0 missing, in memory and in SQLite")
  @SuppressWarnings("unchecked")
  void poisonMessagesAreDeadLettered(@TempDir Path dir) {
    CommandLine cl = LoadTestMain.commandLine();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    RunCommand run = cl.getSubcommands().get("run").getCommand();
    run.console = new PrintStream(buf, true, StandardCharsets.UTF_8);

    int code = cl.execute(
        "run", "--count", "2000", "--rate", "1000", "--batch-size", "20", "--batch-interval", "100ms",
        "--brokers", "1", "--max-retries", "1", "--retry-initial", "50ms", "--retry-max", "100ms",
        "--on-exhausted", "dead_letter", "--fault", "http-400:0.005", "--deadline", "60s", "--out", dir.toString());

    String output = buf.toString(StandardCharsets.UTF_8);
    System.out.println(output);
    Map<String, Object> result = run.result;
    assertThat(result).as(output).isNotNull();
    Map<String, Object> counts = (Map<String, Object>) result.get("counts");
    long expected = ((Number) counts.get("expected")).longValue();
    long delivered = ((Number) counts.get("delivered_unique")).longValue();
    long deadLettered = ((Number) counts.get("dead_lettered")).longValue();
    assertThat(((Number) counts.get("missing")).longValue()).as("missing; output:%n%s", output).isZero();
    assertThat(deadLettered).as("dead-lettered").isPositive();
    assertThat(expected).isEqualTo(delivered + deadLettered);
    assertThat(((Number) ((Map<String, Object>) result.get("http_faults")).get("answered_400_poison")).longValue()).isPositive();
    Map<String, Object> sql = (Map<String, Object>) result.get("sqlite_check");
    assertThat(sql.get("missing")).isEqualTo(0L);
    assertThat(sql.get("dead_lettered")).isEqualTo(deadLettered);
    assertThat((String) result.get("verdict")).contains("= delivered " + delivered + " + dead-lettered " + deadLettered);
    assertThat(code).isZero();
  }
}
