package io.webhookd.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The fields of the message object that a set of JMESPath filters can reach, as a tree of names,
 * when every filter is made only of field paths ({@code value.customer.region}, quoted names
 * allowed), literals, comparisons, {@code &&}, {@code ||}, {@code !} and parentheses. Such a
 * filter gives the same result on a message object that holds only these fields (the whole
 * subtree where a path ends, and nothing but the next names of longer paths on the way) as on the
 * whole object, so the engine builds only that much of it. Anything else (functions, wildcards,
 * indexes, projections, {@code @}, pipes, multi-selects, and raw-string or JSON literals that
 * hold a backslash) makes {@link #of} return {@code null}: the filter then sees the whole object.
 *
 * <p>Immutable and thread-safe.
 */
final class FieldPaths {
  private static final FieldPaths[] NONE = new FieldPaths[0];

  /** Whether a path ends here: the whole subtree is needed. */
  private boolean whole;

  private String[] names = new String[0];
  private byte[][] nameBytes = new byte[0][];
  private FieldPaths[] children = NONE;

  private FieldPaths() {}

  /**
   * The reachable fields of the conjunction of {@code expressions} (already known to compile), or
   * {@code null} when one of them is not made of paths, literals and operators only.
   */
  static @Nullable FieldPaths of(List<String> expressions) {
    FieldPaths root = new FieldPaths();
    for (String e : expressions) {
      List<List<String>> paths = paths(e);
      if (paths == null) {
        return null;
      }
      for (List<String> p : paths) {
        root.add(p, 0);
      }
    }
    return root;
  }

  /** Whether a path ends at this field, so that it is needed whole. */
  boolean whole() {
    return whole;
  }

  /** The paths below {@code name}, or {@code null} when no path goes through it. */
  @Nullable FieldPaths child(String name) {
    for (int k = 0; k < names.length; k++) {
      if (names[k].equals(name)) {
        return children[k];
      }
    }
    return null;
  }

  /** As {@link #child(String)} for a name given as its UTF-8 bytes {@code b[from, to)}, unescaped. */
  @Nullable FieldPaths child(byte[] b, int from, int to) {
    for (int k = 0; k < nameBytes.length; k++) {
      if (Arrays.equals(b, from, to, nameBytes[k], 0, nameBytes[k].length)) {
        return children[k];
      }
    }
    return null;
  }

  private void add(List<String> path, int at) {
    if (at == path.size()) {
      whole = true;
      return;
    }
    FieldPaths c = child(path.get(at));
    if (c == null) {
      c = new FieldPaths();
      int n = names.length;
      names = Arrays.copyOf(names, n + 1);
      nameBytes = Arrays.copyOf(nameBytes, n + 1);
      children = Arrays.copyOf(children, n + 1);
      names[n] = path.get(at);
      nameBytes[n] = path.get(at).getBytes(StandardCharsets.UTF_8);
      children[n] = c;
    }
    c.add(path, at + 1);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(whole ? "*" : "");
    if (names.length > 0) {
      sb.append('{');
      for (int k = 0; k < names.length; k++) {
        sb.append(k == 0 ? "" : ",").append(names[k]).append(children[k]);
      }
      sb.append('}');
    }
    return sb.toString();
  }

  // ------------------------------------------------------------- the subset of JMESPath

  /**
   * The field paths of {@code e}, or {@code null} when it holds anything other than paths,
   * literals, comparisons, {@code && || !} and parentheses. Token by token: the grammar's
   * structure does not matter here, since every path is evaluated from the message object and
   * its value is only compared, negated or returned.
   */
  static @Nullable List<List<String>> paths(String e) {
    List<List<String>> out = new ArrayList<>();
    int i = 0;
    int n = e.length();
    List<String> path = null; // the path being read, while the next token may continue it
    boolean afterDot = false;
    while (true) {
      while (i < n && isWs(e.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      char c = e.charAt(i);
      if (c == '.') {
        if (path == null || afterDot) {
          return null; // "(a).b", "'x'.b", "a..b"
        }
        afterDot = true;
        i++;
        continue;
      }
      if (isIdentStart(c) || c == '"') {
        String name;
        if (c == '"') {
          int end = quotedEnd(e, i);
          if (end < 0) {
            return null;
          }
          name = unquote(e.substring(i, end));
          if (name == null) {
            return null;
          }
          i = end;
        } else {
          int s = i;
          while (i < n && isIdentPart(e.charAt(i))) {
            i++;
          }
          name = e.substring(s, i);
          int k = i;
          while (k < n && isWs(e.charAt(k))) {
            k++;
          }
          if (k < n && e.charAt(k) == '(') {
            return null; // a function call
          }
        }
        if (path != null && afterDot) {
          path.add(name);
        } else if (path != null) {
          return null; // two paths side by side: not an expression of the subset
        } else {
          path = new ArrayList<>();
          path.add(name);
          out.add(path);
        }
        afterDot = false;
        continue;
      }
      if (afterDot) {
        return null; // "a.*", "a.[b]", "a.{b: c}"
      }
      path = null;
      switch (c) {
        case '\'' -> {
          i = rawStringEnd(e, i);
          if (i < 0) {
            return null;
          }
        }
        case '`' -> {
          i = literalEnd(e, i);
          if (i < 0) {
            return null;
          }
        }
        case '(', ')' -> i++;
        case '=' -> {
          if (i + 1 < n && e.charAt(i + 1) == '=') {
            i += 2;
          } else {
            return null;
          }
        }
        case '!', '<', '>' -> i += i + 1 < n && e.charAt(i + 1) == '=' ? 2 : 1;
        case '&', '|' -> {
          if (i + 1 < n && e.charAt(i + 1) == c) {
            i += 2;
          } else {
            return null; // "&expr" (a reference) or "a | b" (a pipe)
          }
        }
        default -> {
          return null; // [ ] { } * @ , : $ and anything else
        }
      }
    }
    return afterDot ? null : out;
  }

  private static boolean isWs(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  private static boolean isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  private static boolean isIdentPart(char c) {
    return isIdentStart(c) || (c >= '0' && c <= '9');
  }

  /** Index after the quoted identifier starting at {@code i}, or -1. */
  private static int quotedEnd(String e, int i) {
    for (int k = i + 1; k < e.length(); k++) {
      char c = e.charAt(k);
      if (c == '\\') {
        k++;
      } else if (c == '"') {
        return k + 1;
      }
    }
    return -1;
  }

  private static @Nullable String unquote(String quoted) {
    try {
      return MessageEncoder.MAPPER.readValue(quoted, String.class);
    } catch (JsonProcessingException ex) {
      return null;
    }
  }

  /**
   * Index after the raw string literal starting at {@code i}, or -1 when it holds a backslash:
   * implementations differ on which backslashes escape, and a misread end would misread the rest.
   */
  private static int rawStringEnd(String e, int i) {
    return quoteEnd(e, i, '\'');
  }

  /** Index after the JSON literal starting at {@code i}, or -1 when it holds a backslash (as above). */
  private static int literalEnd(String e, int i) {
    return quoteEnd(e, i, '`');
  }

  private static int quoteEnd(String e, int i, char quote) {
    for (int k = i + 1; k < e.length(); k++) {
      char c = e.charAt(k);
      if (c == '\\') {
        return -1;
      }
      if (c == quote) {
        return k + 1;
      }
    }
    return -1;
  }
}
