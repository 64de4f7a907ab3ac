package io.webhookd.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The expectation side of {@code --filter}: the subscription gets the JMESPath expressions as
 * they are, while the harness computes which generated messages should pass with its own small
 * evaluator (no JMESPath library), so a filter bug in the engine shows up as missing or
 * unexpected messages. It understands {@code value.<field> <op> <literal>} over the generated
 * fields {@code seq}, {@code region} and {@code amount}, with {@code == != < <= > >=} and a
 * literal {@code 'text'} or {@code `number`} / {@code `"text"`}; several filters are ANDed.
 */
final class ExpectedFilter implements Predicate<Payloads.Fields> {
  private static final Pattern P =
      Pattern.compile("\\s*value\\.(seq|region|amount)\\s*(==|!=|<=|>=|<|>)\\s*('([^']*)'|`\"([^\"]*)\"`|`(-?\\d+)`)\\s*");

  private final List<Predicate<Payloads.Fields>> parts;

  private ExpectedFilter(List<Predicate<Payloads.Fields>> parts) {
    this.parts = parts;
  }

  static ExpectedFilter of(List<String> expressions) {
    List<Predicate<Payloads.Fields>> parts = new ArrayList<>();
    for (String e : expressions) {
      parts.add(parse(e));
    }
    return new ExpectedFilter(parts);
  }

  private static Predicate<Payloads.Fields> parse(String expression) {
    Matcher m = P.matcher(expression);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "--filter must have the form value.<seq|region|amount> <op> <'text'|`number`> so that the harness can compute"
              + " the expectation on its own, was: " + expression);
    }
    String field = m.group(1);
    String op = m.group(2);
    String text = m.group(4) != null ? m.group(4) : m.group(5);
    Long number = m.group(6) != null ? Long.parseLong(m.group(6)) : null;
    return f -> {
      Object actual = switch (field) {
        case "seq" -> (long) f.seq();
        case "amount" -> (long) f.amount();
        default -> f.region();
      };
      if (text != null) {
        // JMESPath: ordering comparisons of strings are null (falsy); equality compares type and value
        return switch (op) {
          case "==" -> actual.equals(text);
          case "!=" -> !actual.equals(text);
          default -> false;
        };
      }
      if (!(actual instanceof Long a)) {
        return op.equals("!=");
      }
      long b = number;
      return switch (op) {
        case "==" -> a == b;
        case "!=" -> a != b;
        case "<" -> a < b;
        case "<=" -> a <= b;
        case ">" -> a > b;
        default -> a >= b;
      };
    };
  }

  @Override
  public boolean test(Payloads.Fields f) {
    for (Predicate<Payloads.Fields> p : parts) {
      if (!p.test(f)) {
        return false;
      }
    }
    return true;
  }
}
