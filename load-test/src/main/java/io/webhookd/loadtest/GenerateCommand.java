package io.webhookd.loadtest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The seed's csv-generate. The original's spelling works too: {@code csv-generate -csv x.csv
 * -duration 1m -rows 1000 -topics 3} (the command and the single-dash options are aliases).
 */
@Command(
    name = "generate",
    aliases = "csv-generate",
    mixinStandardHelpOptions = true,
    description = "Writes a load file: topic,key,payload,offset_ms per row, publish times spread over the duration.")
final class GenerateCommand implements Callable<Integer> {
  @Option(names = {"--csv", "-csv"}, required = true, description = "The file to write.")
  Path csv;

  @Option(names = {"--rows", "-rows"}, required = true, description = "Messages.")
  int rows;

  @Option(names = {"--topics", "-topics"}, defaultValue = "1", description = "Topics loadtest-0 .. (default ${DEFAULT-VALUE}).")
  int topics;

  @Option(names = {"--duration", "-duration"}, required = true, converter = DurationConverter.class, description = "Publishing time, e.g. 1m.")
  Duration duration;

  @Option(names = "--payload-bytes", defaultValue = "1024", description = "Approximate JSON payload size (default ${DEFAULT-VALUE}).")
  int payloadBytes;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    if (rows < 1 || topics < 1) {
      throw new IllegalArgumentException("--rows and --topics must be at least 1");
    }
    List<Payloads.Row> r = Payloads.generate(rows, topics, duration.toMillis(), payloadBytes, seed, "loadtest");
    Csv.write(csv, r);
    System.out.printf("wrote %d rows on %d topic(s) over %s to %s%n", rows, topics, Durations.format(duration), csv.toAbsolutePath());
    return 0;
  }
}
