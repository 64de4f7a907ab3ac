package io.webhookd.alert.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * Accepts connections and never says a word, until {@link #hangUp()}; from then on it closes
 * every connection, old and new, without a greeting. It keeps its port until {@link #close()},
 * so a client never reaches some other program that took the port over.
 */
final class StallingSmtpServer implements AutoCloseable {
  private final ServerSocket server;
  private final List<Socket> connections = new CopyOnWriteArrayList<>();
  private volatile boolean hungUp;
  final CountDownLatch accepted = new CountDownLatch(1);

  StallingSmtpServer() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "stalling-smtp");
    t.setDaemon(true);
    t.start();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        connections.add(s);
        if (hungUp) {
          s.close();
        }
        accepted.countDown();
      } catch (IOException e) {
        return;
      }
    }
  }

  int port() {
    return server.getLocalPort();
  }

  /** Closes every connection, now and from now on. */
  void hangUp() throws IOException {
    hungUp = true;
    for (Socket s : connections) {
      s.close();
    }
  }

  @Override
  public void close() throws IOException {
    hangUp();
    server.close();
  }
}
