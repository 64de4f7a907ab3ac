package io.webhookd.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The end of a run: {@code result.json} and {@code report.html}, a self-contained page (inline
 * SVG, no scripts, nothing fetched) with the figures, latency over time (p50, p99 and max per
 * second, fault events marked) and a latency histogram.
 */
final class Report {
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Report() {}

  /** One second of the run: receive time (s from start) and the latency percentiles of what arrived in it. */
  record Second(long t, long count, long p50, long p99, long max) {}

  static List<Second> perSecond(long[][] firstDeliveries, long startMs) {
    List<Second> out = new ArrayList<>();
    int i = 0;
    while (i < firstDeliveries.length) {
      long sec = (firstDeliveries[i][0] - startMs) / 1000;
      int j = i;
      while (j < firstDeliveries.length && (firstDeliveries[j][0] - startMs) / 1000 == sec) {
        j++;
      }
      long[] lat = new long[j - i];
      for (int k = i; k < j; k++) {
        lat[k - i] = firstDeliveries[k][1];
      }
      Arrays.sort(lat);
      out.add(new Second(sec, lat.length, pct(lat, 0.5), pct(lat, 0.99), lat[lat.length - 1]));
      i = j;
    }
    return out;
  }

  private static long pct(long[] sorted, double q) {
    int idx = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  static void writeJson(Path file, Map<String, Object> result) throws IOException {
    MAPPER.writeValue(file.toFile(), result);
  }

  @SuppressWarnings("unchecked")
  static void writeHtml(Path file, Map<String, Object> result, List<Second> seconds, long[][] firstDeliveries,
      List<Map<String, Object>> events) throws IOException {
    StringBuilder h = new StringBuilder();
    boolean passed = Boolean.TRUE.equals(result.get("passed"));
    h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>webhookd load test ")
        .append(esc(String.valueOf(result.get("run_id")))).append("</title><style>")
        .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}")
        .append("td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}th{background:#f4f4f4}")
        .append(".pass{color:#080;font-weight:bold}.fail{color:#b00;font-weight:bold}svg{background:#fcfcfc;border:1px solid #ddd}")
        .append("</style></head><body>");
    h.append("<h1>webhookd load test <small>").append(esc(String.valueOf(result.get("run_id")))).append("</small></h1>");
    h.append("<p class=\"").append(passed ? "pass\">PASSED" : "fail\">FAILED").append("</p>");
    h.append("<p>").append(esc(String.valueOf(result.get("verdict")))).append("</p>");
    h.append("<h2>Figures</h2>");
    table(h, (Map<String, Object>) result.get("counts"));
    h.append("<h3>Latency produce → receive (first deliveries, ms)</h3>");
    table(h, (Map<String, Object>) result.get("latency"));
    h.append("<h3>Latency of messages produced after the first ")
        .append(((Map<String, Object>) result.get("latency_steady")).get("produced_after_ms")).append(" ms (ms)</h3>");
    table(h, (Map<String, Object>) result.get("latency_steady"));
    h.append("<h3>Throughput</h3>");
    table(h, (Map<String, Object>) result.get("throughput"));
    if (result.get("kafka_scale") != null) {
      h.append("<h3>Kafka scaled up and down (kafka-scale)</h3>");
      table(h, (Map<String, Object>) result.get("kafka_scale"));
    }
    h.append("<h2>Latency over time</h2>").append(timeChart(seconds, events));
    h.append("<h2>Latency histogram</h2>").append(histogram(firstDeliveries));
    h.append("<h2>Faults and events</h2><table><tr><th>t (s)</th><th>event</th></tr>");
    for (Map<String, Object> e : events) {
      h.append("<tr><td>").append(String.format(Locale.ROOT, "%.1f", ((Number) e.get("t_ms")).longValue() / 1000.0))
          .append("</td><td>").append(esc(String.valueOf(e.get("event")))).append("</td></tr>");
    }
    h.append("</table>");
    h.append("<h2>Setup</h2>");
    table(h, (Map<String, Object>) result.get("setup"));
    h.append("<h3>SQLite cross-check</h3>");
    table(h, (Map<String, Object>) result.get("sqlite_check"));
    h.append("<h3>Receiver</h3>");
    table(h, (Map<String, Object>) result.get("receiver"));
    h.append("</body></html>\n");
    Files.writeString(file, h, StandardCharsets.UTF_8);
  }

  private static void table(StringBuilder h, Map<String, Object> m) {
    if (m == null) {
      return;
    }
    h.append("<table>");
    for (Map.Entry<String, Object> e : m.entrySet()) {
      h.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(String.valueOf(e.getValue()))).append("</td></tr>");
    }
    h.append("</table>");
  }

  static String timeChart(List<Second> s, List<Map<String, Object>> events) {
    int w = 900;
    int ht = 320;
    int l = 60;
    int b = 40;
    int top = 20;
    int r = 20;
    if (s.isEmpty()) {
      return "<p>no deliveries</p>";
    }
    long tMax = Math.max(1, s.get(s.size() - 1).t() + 1);
    for (Map<String, Object> e : events) {
      tMax = Math.max(tMax, ((Number) e.get("t_ms")).longValue() / 1000 + 1);
    }
    long yMax = 1;
    for (Second x : s) {
      yMax = Math.max(yMax, x.max());
    }
    yMax = niceCeil(yMax);
    StringBuilder g = new StringBuilder();
    g.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(ht)
        .append("\" font-size=\"11\">");
    double pw = w - l - r;
    double ph = ht - top - b;
    for (int i = 0; i <= 5; i++) {
      double y = top + ph - ph * i / 5;
      g.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>", l, y, w - r, y));
      g.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>", l - 5, y + 4, yMax * i / 5));
    }
    for (int i = 0; i <= 10; i++) {
      double x = l + pw * i / 10;
      g.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>", x, ht - b + 15, tMax * i / 10));
    }
    g.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">seconds since start</text>", l + (int) pw / 2, ht - 5));
    g.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">latency ms</text>",
        top + (int) ph / 2, top + (int) ph / 2));
    for (Map<String, Object> e : events) {
      double x = l + pw * (((Number) e.get("t_ms")).longValue() / 1000.0) / tMax;
      g.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#f90\" stroke-dasharray=\"4,3\"><title>%s</title></line>",
          x, top, x, top + ph, esc(String.valueOf(e.get("event")))));
    }
    String[][] series = {{"max", "#ccc"}, {"p99", "#d33"}, {"p50", "#36c"}};
    for (String[] sr : series) {
      // one polyline per run of consecutive seconds: a second without deliveries is a gap, not a slope
      StringBuilder pts = new StringBuilder();
      long prev = Long.MIN_VALUE;
      for (Second x : s) {
        if (x.t() != prev + 1 && pts.length() > 0) {
          g.append(polyline(sr[1], pts));
          pts.setLength(0);
        }
        prev = x.t();
        long v = sr[0].equals("max") ? x.max() : sr[0].equals("p99") ? x.p99() : x.p50();
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", l + pw * (x.t() + 0.5) / tMax, top + ph - ph * Math.min(v, yMax) / yMax));
      }
      g.append(polyline(sr[1], pts));
    }
    int lx = w - r - 150;
    for (int i = 0; i < series.length; i++) {
      g.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s per second</text>",
          lx, top + 6 + i * 14, series[i][1], lx + 16, top + 10 + i * 14, series[i][0]));
    }
    g.append("</svg>");
    return g.toString();
  }

  private static String polyline(String color, CharSequence pts) {
    String p = pts.toString().trim();
    if (!p.contains(" ")) {
      // a single point: draw a dot
      String[] xy = p.split(",");
      return "<circle cx=\"" + xy[0] + "\" cy=\"" + xy[1] + "\" r=\"2\" fill=\"" + color + "\"/>";
    }
    return "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.5\" points=\"" + p + "\"/>";
  }

  /** Logarithmic bins from 1 ms to the maximum, counts as bars. */
  static String histogram(long[][] firstDeliveries) {
    if (firstDeliveries.length == 0) {
      return "<p>no deliveries</p>";
    }
    long max = 1;
    for (long[] d : firstDeliveries) {
      max = Math.max(max, d[1]);
    }
    int bins = 40;
    double logMax = Math.log10(max + 1.0);
    long[] counts = new long[bins];
    for (long[] d : firstDeliveries) {
      int bin = (int) Math.min(bins - 1, Math.floor(Math.log10(d[1] + 1.0) / logMax * bins));
      counts[bin]++;
    }
    long cMax = Arrays.stream(counts).max().orElse(1);
    int w = 900;
    int ht = 300;
    int l = 60;
    int b = 40;
    int top = 20;
    double pw = w - l - 20;
    double ph = ht - top - b;
    StringBuilder g = new StringBuilder();
    g.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(ht).append("\" font-size=\"11\">");
    double bw = pw / bins;
    for (int i = 0; i < bins; i++) {
      double hgt = ph * counts[i] / cMax;
      long lo = Math.round(Math.pow(10, logMax * i / bins) - 1);
      long hi = Math.round(Math.pow(10, logMax * (i + 1) / bins) - 1);
      g.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#36c\"><title>%d–%d ms: %d</title></rect>",
          l + i * bw + 1, top + ph - hgt, bw - 2, hgt, lo, hi, counts[i]));
      if (i % 5 == 0) {
        g.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>", l + i * bw, ht - b + 15, lo));
      }
    }
    g.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">latency ms (log scale)</text>", l + (int) pw / 2, ht - 5));
    g.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>", l - 5, top + 4, cMax));
    g.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">0</text>", l - 5, top + ph));
    g.append("</svg>");
    return g.toString();
  }

  private static long niceCeil(long v) {
    long p = 1;
    while (p * 10 < v) {
      p *= 10;
    }
    for (long m : new long[] {1, 2, 5, 10}) {
      if (p * m >= v) {
        return p * m;
      }
    }
    return p * 10;
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
