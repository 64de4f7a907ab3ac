package io.webhookd.alert.smtp;

import static java.util.Objects.requireNonNull;

import io.webhookd.Problem;
import io.webhookd.spi.Alert;
import io.webhookd.spi.AlertChannel;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link AlertChannel} that mails each alert over SMTP (Jakarta Mail on Eclipse Angus Mail).
 *
 * <pre>{@code
 * AlertChannel alerts = SmtpAlertChannel.builder()
 *     .host("smtp.example.com").port(587).startTls(true)
 *     .username("webhookd").password(System.getenv("SMTP_PASSWORD"))
 *     .from("webhookd@example.com")
 *     .build();
 * }</pre>
 *
 * or {@link #fromEnvironment(Map) SmtpAlertChannel.fromEnvironment(System.getenv())}, which
 * reads the {@code WEBHOOKD_SMTP_*} variables.
 *
 * <p><b>The mail.</b> One mail per {@link #send} call, to exactly {@link Alert#recipients()} (all
 * in {@code To:}, duplicates once), as {@code multipart/alternative} with a plain-text and an HTML
 * part written by {@link AlertMessageFormatter}; headers {@code Auto-Submitted: auto-generated}
 * (so vacation responders keep quiet) and {@code X-Webhookd-Alert: unhealthy} (the {@link
 * Alert.Kind#wireName()}) for mail filters.
 *
 * <p><b>Never blocks the caller.</b> {@link #send} validates the recipients, puts the mail on the
 * queue of one background sender thread ({@code webhookd-smtp-alerts}) and returns at once. The
 * future completes when the SMTP server has accepted the mail, or exceptionally with a {@link
 * SmtpAlertException} after the attempt failed. Each {@code send} is <em>one</em> attempt (one
 * connection, authentication, one message): this channel does not retry; the engine retries a
 * failed alert with backoff. A send waits behind the ones queued before it; with the server down
 * each attempt takes at most {@link Builder#connectTimeout connectTimeout}, and a server that
 * stalls mid-conversation at most {@link Builder#timeout timeout} per read or write. The queue
 * holds {@value #QUEUE_CAPACITY} alerts; a send beyond that fails at once (retryable). Dependent
 * stages attached to the future without an executor run on the sender thread: keep them short.
 *
 * <p><b>Secrets.</b> The password is never logged, never put in an exception message and not
 * shown by {@link #toString()}; Jakarta Mail's protocol debug output stays off.
 *
 * <p>Thread-safe: {@link #send} may be called from any thread. {@link #close()} stops taking
 * alerts, gives the queued ones up to {@code connectTimeout + timeout} to go out, then fails the
 * rest; when it returns every future is complete; it is idempotent.
 */
public final class SmtpAlertChannel implements AlertChannel {
  /** How many alerts may wait for the sender thread. */
  public static final int QUEUE_CAPACITY = 1000;

  /** SMTP server host; when unset or blank, {@link #fromEnvironment} returns empty. */
  public static final String ENV_HOST = "WEBHOOKD_SMTP_HOST";
  /** SMTP server port, 1 to 65535; default 465 with implicit TLS, 587 with STARTTLS, else 25. */
  public static final String ENV_PORT = "WEBHOOKD_SMTP_PORT";
  /** User name for SMTP authentication; unset means no authentication. */
  public static final String ENV_USERNAME = "WEBHOOKD_SMTP_USERNAME";
  /** Password for SMTP authentication; required with a user name. */
  public static final String ENV_PASSWORD = "WEBHOOKD_SMTP_PASSWORD";
  /** The sender address of alert mails; required. */
  public static final String ENV_FROM = "WEBHOOKD_SMTP_FROM";
  /** {@code true} to require STARTTLS on a plain connection; default {@code false}. */
  public static final String ENV_STARTTLS = "WEBHOOKD_SMTP_STARTTLS";
  /** {@code true} for implicit TLS (SMTPS, usually port 465); default {@code false}. */
  public static final String ENV_SSL = "WEBHOOKD_SMTP_SSL";

  private static final Logger log = LoggerFactory.getLogger(SmtpAlertChannel.class);

  private final String host;
  private final int port;
  private final boolean startTls;
  private final boolean implicitTls;
  private final @Nullable String username;
  private final @Nullable String password;
  private final InternetAddress from;
  private final Duration connectTimeout;
  private final Duration timeout;
  private final boolean trustAll;
  private final MailTransport transport;
  private final ThreadPoolExecutor sender;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile @Nullable SendTask inFlight;

  private SmtpAlertChannel(Builder b, InternetAddress from, int port) {
    this.host = b.host.strip();
    this.port = port;
    this.startTls = b.startTls;
    this.implicitTls = b.implicitTls;
    this.username = b.username;
    this.password = b.password;
    this.from = from;
    this.connectTimeout = b.connectTimeout;
    this.timeout = b.timeout;
    this.trustAll = b.trustAllCertificatesForTesting;
    this.transport =
        new MailTransport(
            Session.getInstance(sessionProperties(b, this.host, port)), this.host, port, username, password, from,
            AlertMessageFormatter.create(b.clock), b.clock);
    this.sender =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(QUEUE_CAPACITY),
            r -> {
              Thread t = new Thread(r, "webhookd-smtp-alerts");
              t.setDaemon(true);
              return t;
            });
    if (username != null && !startTls && !implicitTls && !isLoopback(this.host)) {
      log.warn(
          "SMTP alerts authenticate as '{}' to {}:{} without TLS: the password crosses the network"
              + " in clear text; enable STARTTLS or implicit TLS",
          username,
          this.host,
          port);
    }
  }

  private static Properties sessionProperties(Builder b, String host, int port) {
    Properties p = new Properties();
    p.put("mail.transport.protocol", "smtp");
    p.put("mail.smtp.host", host);
    p.put("mail.smtp.port", Integer.toString(port));
    p.put("mail.smtp.connectiontimeout", Long.toString(b.connectTimeout.toMillis()));
    p.put("mail.smtp.timeout", Long.toString(b.timeout.toMillis()));
    p.put("mail.smtp.writetimeout", Long.toString(b.timeout.toMillis()));
    p.put("mail.smtp.auth", Boolean.toString(b.username != null));
    if (b.startTls) {
      // required: a server (or a man in the middle) that does not offer STARTTLS fails the send
      // instead of getting the mail, and the password, in clear text
      p.put("mail.smtp.starttls.enable", "true");
      p.put("mail.smtp.starttls.required", "true");
    }
    if (b.implicitTls) {
      p.put("mail.smtp.ssl.enable", "true");
    }
    if (b.startTls || b.implicitTls) {
      if (b.trustAllCertificatesForTesting) {
        p.put("mail.smtp.ssl.trust", "*");
        p.put("mail.smtp.ssl.checkserveridentity", "false");
      } else {
        p.put("mail.smtp.ssl.checkserveridentity", "true");
      }
      if (b.sslSocketFactory != null) {
        p.put("mail.smtp.ssl.socketFactory", b.sslSocketFactory);
      }
    }
    return p;
  }

  /** A builder with the defaults listed on its methods. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The channel the {@code WEBHOOKD_SMTP_*} variables describe, or empty when {@value #ENV_HOST}
   * is unset or blank (alerts are then logged, see {@link AlertChannel#logging()}).
   *
   * <table>
   *   <caption>Variables</caption>
   *   <tr><td>{@value #ENV_HOST}</td><td>the SMTP server</td></tr>
   *   <tr><td>{@value #ENV_PORT}</td><td>1 to 65535; default 465 with SSL, 587 with STARTTLS,
   *       else 25</td></tr>
   *   <tr><td>{@value #ENV_USERNAME}, {@value #ENV_PASSWORD}</td><td>authentication, both or
   *       neither</td></tr>
   *   <tr><td>{@value #ENV_FROM}</td><td>the sender address, required</td></tr>
   *   <tr><td>{@value #ENV_STARTTLS}</td><td>{@code true} requires STARTTLS</td></tr>
   *   <tr><td>{@value #ENV_SSL}</td><td>{@code true} for implicit TLS (SMTPS)</td></tr>
   * </table>
   *
   * Booleans read {@code true/false}, {@code yes/no}, {@code on/off} or {@code 1/0}, any case.
   *
   * @param env the environment, usually {@link System#getenv()}
   * @throws IllegalArgumentException listing every problem at once, each named by its variable
   */
  public static Optional<SmtpAlertChannel> fromEnvironment(Map<String, String> env) {
    requireNonNull(env, "env");
    String host = blankToNull(env.get(ENV_HOST));
    if (host == null) {
      List<String> stray =
          List.of(ENV_PORT, ENV_USERNAME, ENV_PASSWORD, ENV_FROM, ENV_STARTTLS, ENV_SSL).stream()
              .filter(name -> blankToNull(env.get(name)) != null)
              .collect(Collectors.toList());
      if (!stray.isEmpty()) {
        log.warn("{} set but {} is not: alerts are logged, not mailed", stray, ENV_HOST);
      }
      return Optional.empty();
    }
    List<Problem> problems = new ArrayList<>();
    Builder b = builder().host(host);
    String portText = blankToNull(env.get(ENV_PORT));
    if (portText != null) {
      try {
        b.port = Integer.parseInt(portText.strip());
      } catch (NumberFormatException e) {
        problems.add(
            new Problem(ENV_PORT, "must be a number between 1 and 65535, was '" + portText + "'"));
      }
    }
    b.username = blankToNull(env.get(ENV_USERNAME));
    b.password = emptyToNull(env.get(ENV_PASSWORD));
    b.from = blankToNull(env.get(ENV_FROM));
    b.startTls = parseBoolean(env, ENV_STARTTLS, problems);
    b.implicitTls = parseBoolean(env, ENV_SSL, problems);
    Map<String, String> names =
        Map.of(
            "host", ENV_HOST,
            "port", ENV_PORT,
            "username", ENV_USERNAME,
            "password", ENV_PASSWORD,
            "from", ENV_FROM,
            "startTls", ENV_STARTTLS,
            "implicitTls", ENV_SSL);
    for (Problem p : b.problems()) {
      if (problems.stream().noneMatch(q -> q.field().equals(names.get(p.field())))) {
        problems.add(new Problem(names.getOrDefault(p.field(), p.field()), p.message()));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(describe(problems));
    }
    return Optional.of(b.build());
  }

  private static boolean parseBoolean(Map<String, String> env, String name, List<Problem> problems) {
    String raw = blankToNull(env.get(name));
    if (raw == null) {
      return false;
    }
    switch (raw.strip().toLowerCase(Locale.ROOT)) {
      case "true":
      case "yes":
      case "on":
      case "1":
        return true;
      case "false":
      case "no":
      case "off":
      case "0":
        return false;
      default:
        problems.add(new Problem(name, "must be true or false, was '" + raw + "'"));
        return false;
    }
  }

  /**
   * Queues {@code alert} for mailing and returns at once; see the class comment.
   *
   * @return completes when the SMTP server accepted the mail; exceptionally with a {@link
   *     SmtpAlertException} when the one attempt failed, the alert has no or invalid recipients,
   *     the queue is full or the channel is closed
   */
  @Override
  public CompletableFuture<Void> send(Alert alert) {
    requireNonNull(alert, "alert");
    if (closed.get()) {
      return CompletableFuture.failedFuture(
          new SmtpAlertException(
              SmtpAlertException.couldNotMail(alert) + ": the SMTP alert channel is closed", false));
    }
    InternetAddress[] to;
    try {
      to = Recipients.of(alert);
    } catch (SmtpAlertException e) {
      return CompletableFuture.failedFuture(e);
    }
    SendTask task = new SendTask(alert, to);
    try {
      sender.execute(task);
    } catch (RejectedExecutionException e) {
      boolean isClosed = closed.get();
      task.future.completeExceptionally(
          new SmtpAlertException(
              SmtpAlertException.couldNotMail(alert)
                  + (isClosed
                      ? ": the SMTP alert channel is closed"
                      : ": " + QUEUE_CAPACITY + " alerts are already waiting for the SMTP server"),
              !isClosed,
              e));
    }
    return task.future;
  }

  private final class SendTask implements Runnable {
    final Alert alert;
    final InternetAddress[] to;
    final CompletableFuture<Void> future = new CompletableFuture<>();

    SendTask(Alert alert, InternetAddress[] to) {
      this.alert = alert;
      this.to = to;
    }

    @Override
    public void run() {
      if (future.isDone()) {
        return; // cancelled by the caller while it waited
      }
      inFlight = this;
      try {
        transport.deliver(alert, to);
        log.debug(
            "mailed the {} alert of subscription {} to {} recipient(s) via {}:{}",
            alert.kind().wireName(),
            alert.subscriptionId(),
            to.length,
            host,
            port);
        future.complete(null);
      } catch (MessagingException | RuntimeException e) {
        SmtpAlertException failure = transport.failure(alert, e);
        log.warn("{}", failure.getMessage());
        future.completeExceptionally(failure);
      } catch (Error e) {
        future.completeExceptionally(e);
        throw e;
      } finally {
        inFlight = null;
      }
    }

    void failClosed(String detail) {
      future.completeExceptionally(
          new SmtpAlertException(SmtpAlertException.couldNotMail(alert) + ": the SMTP alert channel was closed " + detail, true));
    }
  }

  /**
   * Stops taking alerts, waits up to {@code connectTimeout + timeout} for the queued ones to go
   * out, then fails the futures of those still waiting and of the one being sent (which may
   * still arrive: its conversation ends by its own time-outs on the daemon sender thread). When
   * {@code close} returns, every future this channel returned is complete. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    sender.shutdown();
    boolean done = false;
    try {
      done = sender.awaitTermination(connectTimeout.plus(timeout).toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!done) {
      SendTask current = inFlight;
      for (Runnable r : sender.shutdownNow()) {
        ((SendTask) r).failClosed("before the mail went out");
      }
      if (current != null) {
        // its SMTP conversation ends by its own time-outs; the caller hears now
        current.failClosed("while the mail was being sent (it may still arrive)");
      }
    }
  }

  /** Host, port, TLS mode, user name and sender; never the password. */
  @Override
  public String toString() {
    return "SmtpAlertChannel["
        + host
        + ":"
        + port
        + ", tls="
        + (implicitTls ? "implicit" : startTls ? "starttls" : "none")
        + (trustAll ? " (trusting every certificate)" : "")
        + (username == null ? "" : ", username=" + username + ", password=****")
        + ", from="
        + from.getAddress()
        + "]";
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static @Nullable String emptyToNull(@Nullable String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static String describe(List<Problem> problems) {
    return "invalid SMTP alert configuration: "
        + problems.stream().map(Problem::toString).collect(Collectors.joining("; "));
  }

  /**
   * Builds a {@link SmtpAlertChannel}. Not thread-safe; {@link #build()} copies its state, so one
   * builder may build several channels.
   */
  public static final class Builder {
    private @Nullable String host;
    private @Nullable Integer port;
    private boolean startTls;
    private boolean implicitTls;
    private @Nullable String username;
    private @Nullable String password;
    private @Nullable String from;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration timeout = Duration.ofSeconds(30);
    private boolean trustAllCertificatesForTesting;
    private @Nullable SSLSocketFactory sslSocketFactory;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The SMTP server's host name or address. Required. */
    public Builder host(String host) {
      this.host = requireNonNull(host, "host");
      return this;
    }

    /** The SMTP server's port, 1 to 65535. Default 465 with implicit TLS, 587 with STARTTLS, else 25. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /**
     * Whether to upgrade the plain connection with STARTTLS. When true, STARTTLS is required: a
     * server that does not offer it fails the send. Default false. Exclusive with {@link
     * #implicitTls}.
     */
    public Builder startTls(boolean startTls) {
      this.startTls = startTls;
      return this;
    }

    /** Whether to speak TLS from the first byte (SMTPS, usually port 465). Default false. */
    public Builder implicitTls(boolean implicitTls) {
      this.implicitTls = implicitTls;
      return this;
    }

    /** The user name for SMTP authentication; {@code null} (the default) means none. */
    public Builder username(@Nullable String username) {
      this.username = username;
      return this;
    }

    /** The password for SMTP authentication; required with a user name. Never logged. */
    public Builder password(@Nullable String password) {
      this.password = password;
      return this;
    }

    /** The sender address of alert mails, for example {@code webhookd@example.com}. Required. */
    public Builder from(String from) {
      this.from = requireNonNull(from, "from");
      return this;
    }

    /** How long to wait for the TCP (and TLS) connection. Positive; default 10 seconds. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = requireNonNull(connectTimeout, "connectTimeout");
      return this;
    }

    /** How long to wait for each read or write on the connection. Positive; default 30 seconds. */
    public Builder timeout(Duration timeout) {
      this.timeout = requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * For tests against a server with a self-signed certificate only: trusts every certificate
     * and skips the host name check, which leaves the connection open to a man in the middle.
     * Default false. Exclusive with {@link #sslSocketFactory}.
     */
    public Builder trustAllCertificatesForTesting(boolean trustAll) {
      this.trustAllCertificatesForTesting = trustAll;
      return this;
    }

    /**
     * The factory of TLS sockets, for example one whose trust store holds a private CA. Default
     * {@code null}: the JVM's default trust store. The server's host name is still checked
     * against its certificate.
     */
    public Builder sslSocketFactory(@Nullable SSLSocketFactory sslSocketFactory) {
      this.sslSocketFactory = sslSocketFactory;
      return this;
    }

    /** The clock for "time since the last success" and the mail's date. Default: the system's. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * A new channel with its own sender thread.
     *
     * @throws IllegalArgumentException naming every field that is missing or wrong and why
     */
    public SmtpAlertChannel build() {
      List<Problem> problems = problems();
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(describe(problems));
      }
      try {
        return new SmtpAlertChannel(this, Recipients.parseAddress(requireNonNull(from)), effectivePort());
      } catch (AddressException e) {
        throw new IllegalStateException("from was validated", e);
      }
    }

    private int effectivePort() {
      return port != null ? port : implicitTls ? 465 : startTls ? 587 : 25;
    }

    List<Problem> problems() {
      List<Problem> problems = new ArrayList<>();
      if (host == null || host.isBlank()) {
        problems.add(new Problem("host", "must be set: the SMTP server's host name"));
      } else if (host.strip().chars().anyMatch(Character::isWhitespace)) {
        problems.add(new Problem("host", "must be a host name, was '" + host + "'"));
      }
      if (port != null && (port < 1 || port > 65535)) {
        problems.add(new Problem("port", "must be between 1 and 65535, was " + port));
      }
      if (startTls && implicitTls) {
        problems.add(
            new Problem(
                "implicitTls",
                "cannot be combined with startTls: choose STARTTLS (usually port 587) or implicit"
                    + " TLS (usually port 465)"));
      }
      if (username != null && password == null) {
        problems.add(new Problem("password", "must be set when username is"));
      }
      if (password != null && username == null) {
        problems.add(new Problem("username", "must be set when password is"));
      }
      if (from == null || from.isBlank()) {
        problems.add(
            new Problem("from", "must be set: the sender address, such as webhookd@example.com"));
      } else {
        try {
          Recipients.parseAddress(from);
        } catch (AddressException e) {
          problems.add(
              new Problem(
                  "from",
                  "must be an email address such as webhookd@example.com, was '"
                      + from
                      + "' ("
                      + e.getMessage()
                      + ")"));
        }
      }
      checkTimeout("connectTimeout", connectTimeout, problems);
      checkTimeout("timeout", timeout, problems);
      if (trustAllCertificatesForTesting && sslSocketFactory != null) {
        problems.add(
            new Problem(
                "sslSocketFactory", "cannot be combined with trustAllCertificatesForTesting"));
      }
      if ((trustAllCertificatesForTesting || sslSocketFactory != null) && !startTls && !implicitTls) {
        problems.add(
            new Problem(
                trustAllCertificatesForTesting ? "trustAllCertificatesForTesting" : "sslSocketFactory",
                "applies only with startTls or implicitTls, and neither is on"));
      }
      return problems;
    }

    private static void checkTimeout(String name, Duration d, List<Problem> problems) {
      if (d.isNegative() || d.isZero()) {
        problems.add(new Problem(name, "must be positive, was " + d));
      } else if (d.toMillis() > Integer.MAX_VALUE) {
        problems.add(new Problem(name, "must be at most " + Integer.MAX_VALUE + " ms, was " + d));
      }
    }
  }
}
