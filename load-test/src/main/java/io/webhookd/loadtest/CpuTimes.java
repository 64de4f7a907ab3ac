package io.webhookd.loadtest;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time of this JVM and of its child processes (the receiver and Kafka JVMs of {@code bench}),
 * so that a measurement can say where the machine's CPU went per message. Child times come from
 * {@code /proc/PID/stat} (Linux; 0 elsewhere).
 */
final class CpuTimes {
  private static final long NANOS_PER_TICK = 10_000_000L; // USER_HZ is 100 on Linux

  private CpuTimes() {}

  /** [this JVM, receiver JVM, Kafka JVM, other children], CPU nanoseconds so far. */
  static long[] read() {
    long[] t = new long[4];
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      t[0] = os.getProcessCpuTime();
    }
    List<ProcessHandle> children = ProcessHandle.current().children().toList();
    for (ProcessHandle c : children) {
      String cmd = c.info().commandLine().orElse("");
      int slot = cmd.contains("ReceiverMain") ? 1 : cmd.contains("KafkaMain") ? 2 : 3;
      t[slot] += childCpu(c.pid());
    }
    return t;
  }

  static long childCpu(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** CPU microseconds per message between two readings, by process. */
  static Map<String, Object> perMessage(long[] from, long[] to, long messages) {
    Map<String, Object> m = new LinkedHashMap<>();
    String[] names = {"contender_jvm", "receiver_jvm", "kafka_jvm"};
    double n = Math.max(1, messages);
    for (int i = 0; i < names.length; i++) {
      m.put(names[i], Math.round((to[i] - from[i]) / 1000.0 / n * 10) / 10.0);
    }
    return m;
  }
}
