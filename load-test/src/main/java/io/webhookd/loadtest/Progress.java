package io.webhookd.loadtest;

import java.io.PrintStream;
import java.util.function.Supplier;

/**
 * One status line while something runs: rewritten in place with {@code \r} on a terminal, else
 * printed as a new line every {@code plainEverySeconds}. Runs on a daemon thread until closed.
 */
final class Progress implements AutoCloseable {
  private final Thread thread;
  private volatile boolean done;
  private final boolean tty;
  private final PrintStream out;
  private final Supplier<String> line;

  Progress(PrintStream out, Supplier<String> line, int plainEverySeconds) {
    this.out = out;
    this.line = line;
    this.tty = System.console() != null;
    long everyMs = tty ? 1000 : plainEverySeconds * 1000L;
    this.thread =
        new Thread(
            () -> {
              while (!done) {
                try {
                  Thread.sleep(everyMs);
                } catch (InterruptedException e) {
                  return;
                }
                if (!done) {
                  print();
                }
              }
            },
            "progress");
    thread.setDaemon(true);
    thread.start();
  }

  private synchronized void print() {
    String s = line.get();
    if (tty) {
      out.print("\r" + s + "   ");
    } else {
      out.println(s);
    }
    out.flush();
  }

  @Override
  public void close() {
    done = true;
    thread.interrupt();
    print();
    if (tty) {
      out.println();
    }
  }
}
