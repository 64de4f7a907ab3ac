package io.webhookd.loadtest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generated messages: a JSON object {@code {"seq": n, "region": "eu", "amount": 42, "customer":
 * "c-17", "note": "..."}} padded to about the requested size. {@code seq} is unique in a run and
 * is how the receiver recognizes each message; {@code region} and {@code amount} are what filters
 * select on.
 */
final class Payloads {
  static final String[] REGIONS = {"eu", "us", "apac", "latam"};
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 ".toCharArray();

  private Payloads() {}

  /** One row of a load: topic, key, payload, when to publish it (ms after the start). */
  record Row(int seq, String topic, String key, byte[] payload, long offsetMs) {}

  /** The fields a filter can see, parsed back out of a payload we generated. */
  record Fields(int seq, String region, int amount) {}

  /**
   * {@code rows} rows over {@code topics} topics ({@code topicPrefix-0 ..}), publish times spread
   * evenly over {@code durationMs} with a little jitter, in time order.
   */
  static List<Row> generate(int rows, int topics, long durationMs, int payloadBytes, long seed, String topicPrefix) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Row> out = new ArrayList<>(rows);
    double step = rows <= 1 ? 0 : (double) durationMs / rows;
    for (int i = 0; i < rows; i++) {
      String topic = topicPrefix + "-" + (i % topics);
      int customer = rnd.nextInt(1000);
      String region = REGIONS[rnd.nextInt(REGIONS.length)];
      int amount = rnd.nextInt(500);
      long at = Math.min(durationMs, Math.round(i * step + (step > 1 ? rnd.nextDouble() * step * 0.5 : 0)));
      out.add(new Row(i, topic, "c-" + customer, payload(i, region, amount, customer, payloadBytes, rnd), at));
    }
    return out;
  }

  static byte[] payload(int seq, String region, int amount, int customer, int payloadBytes, SplittableRandom rnd) {
    StringBuilder sb = new StringBuilder(payloadBytes + 64);
    sb.append("{\"seq\":").append(seq)
        .append(",\"region\":\"").append(region)
        .append("\",\"amount\":").append(amount)
        .append(",\"customer\":\"c-").append(customer)
        .append("\",\"note\":\"");
    int pad = Math.max(0, payloadBytes - sb.length() - 2);
    for (int i = 0; i < pad; i++) {
      sb.append(ALPHABET[rnd.nextInt(ALPHABET.length)]);
    }
    sb.append("\"}");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads back seq, region and amount with plain string scanning (no JSON library), so that the
   * expectation is computed independently of the engine's JMESPath and Jackson.
   */
  static Fields fields(byte[] payload) {
    String s = new String(payload, 0, Math.min(payload.length, 200), StandardCharsets.UTF_8);
    return new Fields(intField(s, "\"seq\":"), stringField(s, "\"region\":\""), intField(s, "\"amount\":"));
  }

  private static int intField(String s, String name) {
    int i = s.indexOf(name);
    if (i < 0) {
      return -1;
    }
    i += name.length();
    int j = i;
    while (j < s.length() && (Character.isDigit(s.charAt(j)) || s.charAt(j) == '-')) {
      j++;
    }
    return Integer.parseInt(s.substring(i, j));
  }

  private static String stringField(String s, String name) {
    int i = s.indexOf(name);
    if (i < 0) {
      return "";
    }
    i += name.length();
    return s.substring(i, s.indexOf('"', i));
  }
}
