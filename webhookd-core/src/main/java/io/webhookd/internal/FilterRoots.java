package io.webhookd.internal;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Finds filters that can never match: every path of a filter starts at the message object, whose
 * fields are {@link #FIELDS}; a path that starts anywhere else evaluates to null, so {@code
 * amount > `100`} silently delivers nothing. Only filters made of paths, literals, comparisons and
 * boolean operators are checked ({@link FieldPaths#paths}); a filter with functions or
 * projections is left alone.
 */
public final class FilterRoots {
  /** The fields of the message object a filter sees. */
  public static final List<String> FIELDS = List.of("topic", "partition", "offset", "timestamp", "key", "value", "headers");

  private static final Set<String> FIELD_SET = Set.copyOf(FIELDS);

  private FilterRoots() {}

  /**
   * Why {@code expression} (known to compile) can never match, with a hint ({@code did you mean
   * value.amount?}), or {@code null} when nothing says so.
   */
  public static @Nullable String neverMatches(String expression) {
    List<List<String>> paths = FieldPaths.paths(expression);
    if (paths == null) {
      return null;
    }
    for (List<String> path : paths) {
      if (path.isEmpty()) {
        continue;
      }
      String root = path.get(0);
      if (FIELD_SET.contains(root)) {
        continue;
      }
      String lower = root.toLowerCase(Locale.ROOT);
      String hint = FIELD_SET.contains(lower) ? lower + String.join("", path.subList(1, path.size()).stream().map(p -> "." + p).toList())
          : "value." + String.join(".", path);
      return "can never match: \"" + root + "\" is not a field of the message object " + FIELDS
          + " (filters see the whole message; did you mean " + hint + "?)";
    }
    return null;
  }
}
