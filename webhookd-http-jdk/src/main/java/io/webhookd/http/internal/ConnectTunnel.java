package io.webhookd.http.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A CONNECT proxy on the loopback interface that {@code HttpClient} tunnels its {@code https}
 * connections through, so that the SSRF guard checks the address that is actually connected to.
 *
 * <p>Why: Java 17's {@code HttpClient} has no resolver hook, and requesting an IP literal for
 * {@code https} would lose SNI and hostname verification. Through a CONNECT tunnel the client
 * still does TLS end to end with the original host name (SNI, certificate and hostname checks are
 * the JDK's own), while this proxy resolves the name, refuses it when any of its addresses is
 * forbidden, and connects to exactly the checked address. A name that re-resolves to a forbidden
 * address later (DNS rebinding) is refused at that connection.
 *
 * <p>The proxy listens on 127.0.0.1 only and never connects to a forbidden address, so it grants
 * a local process nothing it could not do itself. All I/O is asynchronous (no thread per
 * connection); name resolution runs on the given executor.
 *
 * <p>Refusals are answered with {@code 403} (the client reports "Tunnel failed, got: 403");
 * unreachable destinations with {@code 502} or {@code 504}.
 *
 * <p>Thread-safe.
 */
public final class ConnectTunnel implements AutoCloseable {
  private static final int MAX_HEAD = 8192;
  private static final long HEAD_TIMEOUT_SECONDS = 30;
  private static final int BUFFER = 16 * 1024;
  private static final int MAX_REMEMBERED_REFUSALS = 1024;

  private final Resolver resolver;
  private final AddressPolicy policy;
  private final Executor resolveExecutor;
  private final long connectTimeoutMillis;
  private final AsynchronousChannelGroup group;
  private final AsynchronousServerSocketChannel server;
  private final InetSocketAddress address;
  private final Set<AsynchronousSocketChannel> open = ConcurrentHashMap.newKeySet();
  private final Map<String, String> refusals = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private ConnectTunnel(
      Resolver resolver, AddressPolicy policy, Executor resolveExecutor, Duration connectTimeout)
      throws IOException {
    this.resolver = resolver;
    this.policy = policy;
    this.resolveExecutor = resolveExecutor;
    this.connectTimeoutMillis = Math.max(1, connectTimeout.toMillis());
    AtomicInteger n = new AtomicInteger();
    this.group =
        AsynchronousChannelGroup.withFixedThreadPool(
            1,
            r -> {
              Thread t = new Thread(r, "webhookd-http-tunnel-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    try {
      this.server =
          AsynchronousServerSocketChannel.open(group)
              .bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 128);
      this.address = (InetSocketAddress) server.getLocalAddress();
    } catch (IOException | RuntimeException e) {
      try {
        group.shutdownNow();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** Starts a tunnel on an ephemeral port of 127.0.0.1. */
  public static ConnectTunnel start(
      Resolver resolver, AddressPolicy policy, Executor resolveExecutor, Duration connectTimeout)
      throws IOException {
    ConnectTunnel tunnel = new ConnectTunnel(resolver, policy, resolveExecutor, connectTimeout);
    tunnel.accept();
    return tunnel;
  }

  /** Where the tunnel listens. */
  public InetSocketAddress address() {
    return address;
  }

  /**
   * Why the last CONNECT to {@code host:port} was refused, or {@code null} when none was.
   *
   * @param authority {@code host:port}, as in the CONNECT request
   */
  public @Nullable String refusal(String authority) {
    return refusals.get(authority.toLowerCase(Locale.ROOT));
  }

  /**
   * Resolves {@code host} and checks every address.
   *
   * @return the addresses, all allowed
   * @throws UnknownHostException when the name does not resolve
   * @throws Refused when any address is forbidden
   */
  public static InetAddress[] resolveChecked(Resolver resolver, AddressPolicy policy, String host)
      throws UnknownHostException, Refused {
    InetAddress[] addresses = resolver.resolve(host);
    if (addresses.length == 0) {
      throw new UnknownHostException(host + ": no addresses");
    }
    for (InetAddress a : addresses) {
      String reason = policy.forbiddenReason(a);
      if (reason != null) {
        // Neither the address nor its kind: the message reaches API clients, and telling them
        // what a name resolves to would make webhookd an oracle for the internal DNS.
        throw new Refused(
            "host " + host + " resolves to a private or loopback address, which the SSRF guard"
                + " refuses (allowPrivateDestinations is false)");
      }
    }
    return addresses;
  }

  /** A destination refused by the address policy. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    public Refused(String message) {
      super(message);
    }
  }

  private void accept() {
    server.accept(
        null,
        new CompletionHandler<AsynchronousSocketChannel, Object>() {
          @Override
          public void completed(AsynchronousSocketChannel client, Object unused) {
            if (server.isOpen()) {
              accept();
            }
            if (closed.get()) {
              closeQuietly(client);
              return;
            }
            open.add(client);
            readHead(client, ByteBuffer.allocate(MAX_HEAD));
          }

          @Override
          public void failed(Throwable t, Object unused) {
            if (server.isOpen() && !closed.get()) {
              accept();
            }
          }
        });
  }

  private void readHead(AsynchronousSocketChannel client, ByteBuffer buf) {
    client.read(
        buf,
        HEAD_TIMEOUT_SECONDS,
        TimeUnit.SECONDS,
        null,
        handler(
            (Integer n) -> {
              if (n < 0) {
                closeQuietly(client);
                return;
              }
              int end = headEnd(buf);
              if (end < 0) {
                if (buf.hasRemaining()) {
                  readHead(client, buf);
                } else {
                  respondAndClose(client, "431 Request Header Fields Too Large");
                }
                return;
              }
              String head = new String(buf.array(), 0, end, ISO_8859_1);
              ByteBuffer leftover =
                  ByteBuffer.wrap(buf.array(), end + 4, buf.position() - end - 4).slice();
              handleConnect(client, head, leftover);
            },
            t -> closeQuietly(client)));
  }

  private static int headEnd(ByteBuffer buf) {
    byte[] a = buf.array();
    for (int i = 0; i + 3 < buf.position(); i++) {
      if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private void handleConnect(AsynchronousSocketChannel client, String head, ByteBuffer leftover) {
    int eol = head.indexOf("\r\n");
    String[] parts = (eol < 0 ? head : head.substring(0, eol)).split(" ");
    if (parts.length != 3 || !parts[0].equals("CONNECT")) {
      respondAndClose(client, "405 Method Not Allowed");
      return;
    }
    String authority = parts[1].toLowerCase(Locale.ROOT);
    int colon = authority.lastIndexOf(':');
    int port;
    try {
      port = Integer.parseInt(authority.substring(colon + 1));
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      port = -1;
    }
    if (colon <= 0 || port < 1 || port > 65535) {
      respondAndClose(client, "400 Bad Request");
      return;
    }
    String host = authority.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String resolveHost = host;
    int targetPort = port;
    CompletableFuture<InetAddress[]> resolved;
    try {
      resolved =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return resolveChecked(resolver, policy, resolveHost);
                } catch (UnknownHostException | Refused e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
              },
              resolveExecutor);
    } catch (RuntimeException rejected) {
      respondAndClose(client, "503 Service Unavailable");
      return;
    }
    resolved.whenComplete(
        (addresses, error) -> {
          if (error != null) {
            Throwable cause = error.getCause() != null ? error.getCause() : error;
            if (cause instanceof Refused) {
              if (refusals.size() >= MAX_REMEMBERED_REFUSALS) {
                refusals.clear();
              }
              refusals.put(authority, cause.getMessage());
              respondAndClose(client, "403 Forbidden");
            } else {
              respondAndClose(client, "502 Bad Gateway");
            }
            return;
          }
          refusals.remove(authority);
          connect(client, addresses, 0, targetPort, leftover);
        });
  }

  private void connect(
      AsynchronousSocketChannel client,
      InetAddress[] addresses,
      int index,
      int port,
      ByteBuffer leftover) {
    if (closed.get()) {
      closeQuietly(client);
      return;
    }
    AsynchronousSocketChannel upstream;
    try {
      upstream = AsynchronousSocketChannel.open(group);
    } catch (IOException | RuntimeException e) {
      respondAndClose(client, "502 Bad Gateway");
      return;
    }
    open.add(upstream);
    AtomicBoolean decided = new AtomicBoolean();
    Runnable next =
        () -> {
          closeQuietly(upstream);
          if (index + 1 < addresses.length) {
            connect(client, addresses, index + 1, port, leftover);
          } else {
            respondAndClose(client, "502 Bad Gateway");
          }
        };
    CompletableFuture.delayedExecutor(connectTimeoutMillis, TimeUnit.MILLISECONDS)
        .execute(
            () -> {
              if (decided.compareAndSet(false, true)) {
                closeQuietly(upstream);
                respondAndClose(client, "504 Gateway Timeout");
              }
            });
    // Connect to exactly the address that was checked: no second resolution.
    upstream.connect(
        new InetSocketAddress(addresses[index], port),
        null,
        handler(
            (Void v) -> {
              if (!decided.compareAndSet(false, true)) {
                return;
              }
              writeAll(
                  client,
                  ByteBuffer.wrap(
                      "HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(ISO_8859_1)),
                  () ->
                      writeAll(
                          upstream,
                          leftover,
                          () -> splice(client, upstream),
                          t -> closePair(client, upstream)),
                  t -> closePair(client, upstream));
            },
            t -> {
              if (decided.compareAndSet(false, true)) {
                next.run();
              }
            }));
  }

  private void splice(AsynchronousSocketChannel client, AsynchronousSocketChannel upstream) {
    AtomicInteger halvesDone = new AtomicInteger();
    Runnable halfDone =
        () -> {
          if (halvesDone.incrementAndGet() == 2) {
            closePair(client, upstream);
          }
        };
    // The client (HttpClient) closing means it is done with the connection: close both at once,
    // so a server that ignores a half-close cannot hold the tunnel open. The server closing is
    // passed on as a half-close, so the client still reads everything relayed before it.
    relay(client, upstream, ByteBuffer.allocate(BUFFER), () -> closePair(client, upstream));
    relay(upstream, client, ByteBuffer.allocate(BUFFER), halfDone);
  }

  private void relay(
      AsynchronousSocketChannel from,
      AsynchronousSocketChannel to,
      ByteBuffer buf,
      Runnable halfDone) {
    buf.clear();
    from.read(
        buf,
        null,
        handler(
            (Integer n) -> {
              if (n < 0) {
                try {
                  to.shutdownOutput();
                } catch (IOException | RuntimeException ignored) {
                  // the other side is already gone
                }
                halfDone.run();
                return;
              }
              buf.flip();
              writeAll(to, buf, () -> relay(from, to, buf, halfDone), t -> closePair(from, to));
            },
            t -> closePair(from, to)));
  }

  private void writeAll(
      AsynchronousSocketChannel to, ByteBuffer buf, Runnable then, Consumer<Throwable> onError) {
    if (!buf.hasRemaining()) {
      then.run();
      return;
    }
    to.write(
        buf,
        null,
        handler(
            (Integer n) -> {
              if (buf.hasRemaining()) {
                writeAll(to, buf, then, onError);
              } else {
                then.run();
              }
            },
            onError));
  }

  private void respondAndClose(AsynchronousSocketChannel client, String status) {
    ByteBuffer response =
        ByteBuffer.wrap(
            ("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .getBytes(ISO_8859_1));
    try {
      writeAll(client, response, () -> closeQuietly(client), t -> closeQuietly(client));
    } catch (RuntimeException e) {
      closeQuietly(client);
    }
  }

  private void closePair(AsynchronousSocketChannel a, AsynchronousSocketChannel b) {
    closeQuietly(a);
    closeQuietly(b);
  }

  private void closeQuietly(AsynchronousSocketChannel channel) {
    open.remove(channel);
    try {
      channel.close();
    } catch (IOException | RuntimeException ignored) {
      // closing anyway
    }
  }

  private static <V> CompletionHandler<V, Object> handler(
      Consumer<V> onCompleted, Consumer<Throwable> onFailed) {
    return new CompletionHandler<>() {
      @Override
      public void completed(V result, Object attachment) {
        onCompleted.accept(result);
      }

      @Override
      public void failed(Throwable t, Object attachment) {
        onFailed.accept(t);
      }
    };
  }

  /** Stops listening and closes every tunnelled connection. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (AsynchronousSocketChannel c : open) {
      closeQuietly(c);
    }
    try {
      group.shutdownNow();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
