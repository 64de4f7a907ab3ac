package io.webhookd.loadtest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;
import org.jspecify.annotations.Nullable;

/** Where the CPU went, from a JFR recording's execution samples. */
final class JfrSummary {
  private JfrSummary() {}

  static String summarize(Path file, int top, @Nullable String threadFilter) throws IOException {
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> inclusive = new HashMap<>();
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> packages = new HashMap<>();
    long total = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
      if (threadFilter != null && (thread == null || !thread.contains(threadFilter))) {
        continue;
      }
      RecordedStackTrace st = e.getStackTrace();
      if (st == null || st.getFrames().isEmpty()) {
        continue;
      }
      total++;
      threads.merge(threadGroup(thread), 1L, Long::sum);
      List<RecordedFrame> frames = st.getFrames();
      self.merge(name(frames.get(0)), 1L, Long::sum);
      packages.merge(pkg(frames.get(0)), 1L, Long::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame f : frames) {
        String n = name(f);
        if (n.startsWith("io.webhookd.") && seen.add(n)) {
          inclusive.merge(n, 1L, Long::sum);
        }
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%d execution samples%s%n", total, threadFilter == null ? "" : " on threads matching " + threadFilter));
    section(sb, "threads (names with digits folded)", threads, total, top);
    section(sb, "top frames by self samples", self, total, top);
    section(sb, "self samples by package", packages, total, top);
    section(sb, "io.webhookd methods by inclusive samples", inclusive, total, top);
    return sb.toString();
  }

  private static void section(StringBuilder sb, String title, Map<String, Long> m, long total, int top) {
    sb.append("\n").append(title).append(":\n");
    m.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(top)
        .forEach(e -> sb.append(String.format(Locale.ROOT, "  %5.1f%%  %6d  %s%n", 100.0 * e.getValue() / Math.max(1, total), e.getValue(), e.getKey())));
  }

  private static String name(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static String pkg(RecordedFrame f) {
    String t = f.getMethod().getType().getName();
    int i = t.lastIndexOf('.');
    return i < 0 ? t : t.substring(0, i);
  }

  private static String threadGroup(@Nullable String name) {
    return name == null ? "?" : name.replaceAll("[0-9a-f]{8}|\\d+", "N");
  }
}
