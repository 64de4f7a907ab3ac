package io.webhookd.server;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar webhookd-server.jar [flags]} runs the server; {@code java -jar
 * webhookd-server.jar produce ...} sends messages to Kafka (see {@link ProduceCommand}); {@code
 * java -jar webhookd-server.jar receive ...} is a webhook endpoint that prints what it receives
 * (see {@link ReceiveCommand}).
 *
 * <p>Exit codes: 0 after SIGTERM/SIGINT and an orderly shutdown, 2 for a bad configuration, 1 when
 * the server could not start for another reason.
 */
public final class Main {
  private Main() {}

  public static void main(String[] argv) {
    Map<String, String> env = System.getenv();
    List<String> args = Arrays.asList(argv);
    if (!args.isEmpty() && args.get(0).equals("produce")) {
      quietLogging(env);
      System.exit(ProduceCommand.run(args.subList(1, args.size()), env, System.in, System.out, System.err));
    }
    if (!args.isEmpty() && args.get(0).equals("receive")) {
      quietLogging(env);
      System.exit(ReceiveCommand.run(args.subList(1, args.size()), System.out, System.err));
    }
    if (args.contains("--help") || args.contains("-h")) {
      System.out.print(ServerConfig.usage());
      System.exit(0);
    }
    ServerConfig config;
    try {
      config = ServerConfig.from(env, args);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    // before the first logger is made: Logback reads this property once
    if (config.logFormat() == ServerConfig.LogFormat.JSON && System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-json.xml");
    }
    Logger log = LoggerFactory.getLogger(Main.class);
    for (String unknown : ServerConfig.unknownVariables(env)) {
      log.warn("{} is not a webhookd variable: ignored (run with --help for the list)", unknown);
    }

    WebhookdServer server;
    try {
      server = WebhookdServer.start(config, System.out);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    } catch (RuntimeException | LinkageError e) {
      log.error("webhookd could not start", e);
      System.err.println("webhookd cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "webhookd-shutdown"));
    // SIGTERM and SIGINT are a normal way to stop a service: exit 0 once the hook above has run
    for (String signal : List.of("TERM", "INT")) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> System.exit(0));
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        log.debug("cannot handle SIG{}: the JVM's default exit status applies", signal);
      }
    }
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void quietLogging(Map<String, String> env) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-cli.xml");
    }
  }
}
