package io.webhookd.server;

import java.util.List;

/** The server's configuration has one or more problems; the message lists every one of them. */
final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  ConfigException(List<String> problems) {
    super(format(problems));
    this.problems = List.copyOf(problems);
  }

  ConfigException(String problem) {
    this(List.of(problem));
  }

  List<String> problems() {
    return problems;
  }

  private static String format(List<String> problems) {
    StringBuilder sb =
        new StringBuilder("webhookd cannot start: the configuration has ")
            .append(problems.size() == 1 ? "a problem" : problems.size() + " problems")
            .append(':');
    problems.forEach(p -> sb.append(System.lineSeparator()).append("  - ").append(p));
    return sb.toString();
  }
}
