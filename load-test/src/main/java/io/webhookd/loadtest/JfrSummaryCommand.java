package io.webhookd.loadtest;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Summarizes the execution samples of a JFR recording: top frames by self time and by package. */
@Command(name = "jfr-summary", mixinStandardHelpOptions = true,
    description = "Top frames of jdk.ExecutionSample in a JFR file (self samples, and inclusive for io.webhookd).")
final class JfrSummaryCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "The .jfr file.")
  Path file;

  @Option(names = "--top", defaultValue = "25", description = "How many frames (default ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--thread", description = "Only threads whose name contains this.")
  String thread;

  @Override
  public Integer call() throws Exception {
    System.out.print(JfrSummary.summarize(file, top, thread));
    return 0;
  }
}
