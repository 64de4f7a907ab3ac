package io.webhookd;

import static java.util.Objects.requireNonNull;

/**
 * One thing wrong with an input: the field path (as in the JSON document, for example {@code
 * configuration.batching.max_batch_size}) and a message naming the rule and the value.
 */
public record Problem(String field, String message) {
  public Problem {
    requireNonNull(field, "field");
    requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return field + ": " + message;
  }
}
