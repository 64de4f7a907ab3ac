package io.webhookd.alert.smtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An SMTP front that offers STARTTLS and, once the client has upgraded, relays the encrypted
 * conversation in clear text to a plain SMTP server (GreenMail 2.1 has no STARTTLS of its own).
 * Before STARTTLS it refuses everything but EHLO, HELO, NOOP and QUIT, as a server that requires
 * TLS would.
 */
final class StartTlsRelay implements AutoCloseable {
  private final ServerSocket server;
  private final SSLContext tls;
  private final int backendPort;
  private final AtomicInteger upgrades = new AtomicInteger();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  StartTlsRelay(SSLContext tls, int backendPort) throws IOException {
    this.tls = tls;
    this.backendPort = backendPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "starttls-relay");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** How many connections were upgraded to TLS. */
  int upgrades() {
    return upgrades.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        sockets.add(client);
        Thread t = new Thread(() -> serve(client), "starttls-relay-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      write(out, "220 relay ESMTP\r\n");
      while (true) {
        String line = readLine(in);
        if (line == null) {
          return;
        }
        String verb = line.split(" ", 2)[0].toUpperCase(java.util.Locale.ROOT);
        switch (verb) {
          case "EHLO":
            write(out, "250-relay\r\n250 STARTTLS\r\n");
            break;
          case "HELO":
          case "NOOP":
            write(out, "250 OK\r\n");
            break;
          case "QUIT":
            write(out, "221 bye\r\n");
            return;
          case "STARTTLS":
            write(out, "220 2.0.0 Ready to start TLS\r\n");
            SSLSocket secure =
                (SSLSocket)
                    tls.getSocketFactory()
                        .createSocket(client, client.getInetAddress().getHostAddress(), client.getPort(), true);
            secure.setUseClientMode(false);
            secure.startHandshake();
            upgrades.incrementAndGet();
            relay(secure);
            return;
          default:
            write(out, "530 5.7.0 Must issue a STARTTLS command first\r\n");
        }
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  private void relay(SSLSocket secure) throws IOException {
    try (Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort)) {
      sockets.add(backend);
      InputStream fromBackend = backend.getInputStream();
      readLine(fromBackend); // the backend's greeting: the client had ours already
      Thread up =
          new Thread(() -> pump(secure, backend), "starttls-relay-up");
      up.setDaemon(true);
      up.start();
      pump(fromBackend, secure.getOutputStream());
    }
  }

  private static void pump(Socket from, Socket to) {
    try {
      pump(from.getInputStream(), to.getOutputStream());
    } catch (IOException e) {
      // closed
    }
  }

  private static void pump(InputStream in, OutputStream out) {
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // closed
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        return line.toString(StandardCharsets.US_ASCII).strip();
      }
      line.write(c);
    }
    return null;
  }

  private static void write(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
