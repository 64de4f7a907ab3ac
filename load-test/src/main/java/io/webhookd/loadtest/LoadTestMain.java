package io.webhookd.loadtest;

import java.time.Duration;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar webhookd-load-test.jar <generate|run|bench|jmh|jfr-summary> ...}. {@code jmh}
 * hands its arguments to JMH's own command line ({@code jmh -h} for its options).
 */
@Command(
    name = "webhookd-load-test",
    mixinStandardHelpOptions = true,
    subcommands = {GenerateCommand.class, RunCommand.class, BenchCommand.class, ScaleCommand.class, JfrSummaryCommand.class},
    description = "The webhookd load, fault and benchmark harness. Commands: generate, run, bench, jmh, jfr-summary.")
public final class LoadTestMain implements Runnable {
  public static void main(String[] args) throws Exception {
    quietKafkaLogs();
    // The JDK's HTTP server behind the test kit's receiver closes idle keep-alive connections above
    // 200 of them, so a client reusing one gets no answer: with thousands of subscriptions that was
    // the receiver failing, not webhookd (scale --engines measured it as retries and duplicates).
    if (System.getProperty("sun.net.httpserver.maxIdleConnections") == null) {
      System.setProperty("sun.net.httpserver.maxIdleConnections", "20000");
    }
    if (args.length > 0 && args[0].equals("jmh")) {
      org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    System.exit(commandLine().execute(args));
  }

  /** Kafka's clients and brokers log their whole configuration at INFO: keep them to warnings. */
  static void quietKafkaLogs() {
    for (String logger : new String[] {"org.apache.kafka", "kafka", "state.change.logger", "org.apache.zookeeper"}) {
      String key = "org.slf4j.simpleLogger.log." + logger;
      if (System.getProperty(key) == null) {
        System.setProperty(key, "warn");
      }
    }
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new LoadTestMain());
    cl.registerConverter(Duration.class, Durations::parse);
    cl.setExecutionExceptionHandler((e, c, parsed) -> {
      if (e instanceof IllegalArgumentException) {
        c.getErr().println("error: " + e.getMessage());
        return 2;
      }
      throw e;
    });
    return cl;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
