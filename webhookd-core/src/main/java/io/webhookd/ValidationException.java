package io.webhookd;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown when an input has one or more problems; {@link #problems()} lists every one of them. */
public class ValidationException extends WebhookdException {
  private static final long serialVersionUID = 1L;
  private final List<Problem> problems;

  public ValidationException(List<Problem> problems) {
    super(
        "invalid subscription: "
            + problems.stream().map(Problem::toString).collect(Collectors.joining("; ")));
    this.problems = List.copyOf(problems);
  }

  /** Every problem found, in the order of the fields. Never empty. */
  public List<Problem> problems() {
    return problems;
  }
}
