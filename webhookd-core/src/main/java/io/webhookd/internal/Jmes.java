package io.webhookd.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.burt.jmespath.Expression;
import io.burt.jmespath.jackson.JacksonRuntime;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/** Compiles JMESPath expressions once and evaluates them with JMESPath's truthiness. Thread-safe. */
public final class Jmes {
  private static final JacksonRuntime RUNTIME = new JacksonRuntime();
  private static final ConcurrentHashMap<String, Expression<JsonNode>> CACHE = new ConcurrentHashMap<>();
  private static final int MAX_LENGTH = 4096;

  private Jmes() {}

  /** Why the expression is invalid, or {@code null} when it compiles. */
  public static @Nullable String check(@Nullable String expression) {
    if (expression == null || expression.isBlank()) {
      return "must be a JMESPath expression, was empty";
    }
    if (expression.length() > MAX_LENGTH) {
      return "must be at most " + MAX_LENGTH + " characters, was " + expression.length();
    }
    try {
      compile(expression);
      return null;
    } catch (RuntimeException | StackOverflowError e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      if (why.length() > 200) {
        why = why.substring(0, 200) + "…";
      }
      return "is not a valid JMESPath expression (" + why + ")";
    }
  }

  /** Compiles (or takes from the cache) an expression. */
  public static Expression<JsonNode> compile(String expression) {
    Expression<JsonNode> e = CACHE.get(expression);
    if (e == null) {
      e = RUNTIME.compile(expression);
      if (CACHE.size() < 10_000) {
        CACHE.put(expression, e);
      }
    }
    return e;
  }

  /** A predicate that is true when every expression is truthy (AND); true for none. */
  public static Filter all(List<String> expressions) {
    if (expressions.isEmpty()) {
      return Filter.ACCEPT_ALL;
    }
    @SuppressWarnings("unchecked")
    Expression<JsonNode>[] compiled = expressions.stream().map(Jmes::compile).toArray(Expression[]::new);
    return node -> {
      for (Expression<JsonNode> e : compiled) {
        if (!RUNTIME.isTruthy(e.search(node))) {
          return false;
        }
      }
      return true;
    };
  }

  /** A compiled conjunction of JMESPath filters over the wire-format message object. */
  @FunctionalInterface
  public interface Filter {
    Filter ACCEPT_ALL = node -> true;

    boolean test(JsonNode message);
  }
}
