package io.webhookd.loadtest;

import java.time.Duration;

/**
 * One {@code --fault}: {@code broker-restart}, {@code kafka-scale}, {@code engine-crash}, {@code
 * http-5xx:<fraction>}, {@code http-5xx-window:<duration>}, {@code slow:<duration>}, {@code
 * 429:<retry-after seconds>}, {@code http-400:<fraction>}. Each happens once, at a share of the publishing time chosen so that
 * combined faults do not overlap more than they must: broker restart at 20%, 5xx window at 35%,
 * Kafka scale-up at 40% and scale-down at 80%, engine crash at 50%, 429 at 65% (for a second, and
 * at least the next two requests); 5xx fraction and slow are on from 25% to 75%; http-400 (the
 * webhook refuses a fraction of the messages, chosen by their sequence number, for ever: a batch
 * holding one is answered 400) is on from the start to the end. The two broker
 * faults never overlap: a step that is due while the other fault's step runs waits for it.
 */
record Fault(Kind kind, double fraction, Duration duration, int seconds) {
  enum Kind {
    BROKER_RESTART("broker-restart", 0.20),
    KAFKA_SCALE("kafka-scale", 0.40),
    ENGINE_CRASH("engine-crash", 0.50),
    HTTP_5XX("http-5xx", 0.25),
    HTTP_5XX_WINDOW("http-5xx-window", 0.35),
    SLOW("slow", 0.25),
    TOO_MANY("429", 0.65),
    HTTP_400("http-400", 0.0);

    final String label;
    final double at;

    Kind(String label, double at) {
      this.label = label;
      this.at = at;
    }
  }

  /** Where a fraction or slow fault ends, as a share of the publishing time. */
  static final double SPAN_END = 0.75;

  /** Where {@code kafka-scale} removes a broker (it adds one at {@link Kind#at}). */
  static final double SCALE_DOWN_AT = 0.80;

  static Fault parse(String spec) {
    String s = spec.trim();
    int colon = s.indexOf(':');
    String name = colon < 0 ? s : s.substring(0, colon);
    String arg = colon < 0 ? null : s.substring(colon + 1);
    try {
      return switch (name) {
        case "broker-restart" -> new Fault(Kind.BROKER_RESTART, 0, Duration.ofSeconds(arg == null ? 3 : Durations.parse(arg).toSeconds()), 0);
        case "kafka-scale" -> {
          if (arg != null) {
            throw new IllegalArgumentException("fault kafka-scale takes no argument, was given \"" + arg + "\"");
          }
          yield new Fault(Kind.KAFKA_SCALE, 0, Duration.ZERO, 0);
        }
        case "engine-crash" -> new Fault(Kind.ENGINE_CRASH, 0, Duration.ZERO, 0);
        case "http-5xx" -> {
          double f = Double.parseDouble(required(arg, spec));
          if (f <= 0 || f >= 1) {
            throw new IllegalArgumentException("the 5xx fraction must be between 0 and 1 (exclusive), was " + f);
          }
          yield new Fault(Kind.HTTP_5XX, f, Duration.ZERO, 0);
        }
        case "http-400" -> {
          double f = Double.parseDouble(required(arg, spec));
          if (f <= 0 || f >= 1) {
            throw new IllegalArgumentException("the 400 fraction must be between 0 and 1 (exclusive), was " + f);
          }
          yield new Fault(Kind.HTTP_400, f, Duration.ZERO, 0);
        }
        case "http-5xx-window" -> new Fault(Kind.HTTP_5XX_WINDOW, 0, Durations.parse(required(arg, spec)), 0);
        case "slow" -> new Fault(Kind.SLOW, 0, Durations.parse(required(arg, spec)), 0);
        case "429" -> new Fault(Kind.TOO_MANY, 0, Duration.ofSeconds(1), Integer.parseInt(required(arg, spec)));
        default -> throw new IllegalArgumentException("unknown fault " + name);
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad fault argument in \"" + spec + "\": " + e.getMessage());
    }
  }

  private static String required(String arg, String spec) {
    if (arg == null || arg.isBlank()) {
      throw new IllegalArgumentException("fault \"" + spec + "\" needs an argument, such as http-5xx:0.1, http-400:0.001, http-5xx-window:5s, slow:200ms, 429:2");
    }
    return arg;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case BROKER_RESTART -> "broker-restart (down " + Durations.format(duration) + ")";
      case KAFKA_SCALE -> "kafka-scale";
      case ENGINE_CRASH -> "engine-crash";
      case HTTP_5XX -> "http-5xx:" + fraction;
      case HTTP_5XX_WINDOW -> "http-5xx-window:" + Durations.format(duration);
      case SLOW -> "slow:" + Durations.format(duration);
      case TOO_MANY -> "429:" + seconds;
      case HTTP_400 -> "http-400:" + fraction;
    };
  }
}
