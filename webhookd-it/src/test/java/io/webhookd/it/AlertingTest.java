package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.webhookd.HealthDetails;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.alert.smtp.SmtpAlertChannel;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testkit.WithKafka;
import jakarta.mail.Address;
import jakarta.mail.internet.MimeMessage;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Health transitions become mail through the SMTP channel, against an in-process SMTP server. */
@WithKafka
class AlertingTest {
  private final KafkaCluster kafka;
  private WebhookReceiver receiver;
  private GreenMail smtp;
  private int smtpPort;

  AlertingTest(KafkaCluster kafka) {
    this.kafka = kafka;
  }

  @BeforeEach
  void setUp() throws Exception {
    receiver = WebhookReceiver.start();
    try (ServerSocket s = new ServerSocket(0)) {
      smtpPort = s.getLocalPort();
    }
    ServerSetup setup = new ServerSetup(smtpPort, "127.0.0.1", "smtp");
    setup.setServerStartupTimeout(30_000);
    smtp = new GreenMail(setup);
  }

  @AfterEach
  void tearDown() {
    receiver.close();
    smtp.stop();
  }

  private SmtpAlertChannel channel() {
    return SmtpAlertChannel.builder().host("127.0.0.1").port(smtpPort).from("webhookd@example.com").build();
  }

  private SubscriptionSpec.Builder spec(String topic) {
    return SubscriptionSpec.builder()
        .name("orders-to-billing")
        .webhookUrl(receiver.url().toString() + "?token=very-secret")
        .source(topic)
        .maxBatchSize(10)
        .maxBatchInterval(Duration.ofMillis(50))
        .maxRetries(1)
        .retryInitialDelay(Duration.ofMillis(20))
        .retryMaxDelay(Duration.ofMillis(200))
        .alertEmails(List.of("ops@example.com", "billing-team@example.com"));
  }

  private static String subject(MimeMessage m) {
    try {
      return m.getSubject();
    } catch (jakarta.mail.MessagingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> recipients(MimeMessage m) throws Exception {
    return Arrays.stream(m.getAllRecipients()).map(Address::toString).sorted().toList();
  }

  @Test
  @DisplayName("unhealthy, then recovered: one mail each, to exactly the listed recipients, with the facts")
  void mailsEachTransition() throws Exception {
    smtp.start();
    String t = topic(kafka, "alerts", 1);
    receiver.respondWith((n, r) -> WebhookReceiver.Response.status(503).withBody("upstream maintenance"));
    try (Webhookd engine = engine(kafka).alertChannel(channel()).alertMinInterval(Duration.ofMinutes(5)).build()) {
      Subscription s = engine.subscribe(spec(t).build());
      kafka.produce(t, jsonMessages(t, 0, 5));
      await().atMost(Duration.ofSeconds(30)).until(() -> smtp.getReceivedMessages().length >= 2); // one message, two recipients
      MimeMessage failing = smtp.getReceivedMessages()[0];
      assertThat(smtp.getReceivedMessages()).extracting(AlertingTest::subject).containsOnly("[webhookd] orders-to-billing is failing: HTTP 503");
      assertThat(failing.getSubject()).isEqualTo("[webhookd] orders-to-billing is failing: HTTP 503");
      assertThat(recipients(failing)).containsExactly("billing-team@example.com", "ops@example.com");
      String body = GreenMailUtil.getBody(failing);
      assertThat(body).contains(s.id()).contains("upstream maintenance").contains("token=****").doesNotContain("very-secret");

      receiver.alwaysRespond(200);
      receiver.awaitDeliveredCount(5, Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(30)).until(() -> smtp.getReceivedMessages().length >= 4);
      List<MimeMessage> recovered =
          Arrays.stream(smtp.getReceivedMessages()).filter(m -> subject(m).endsWith("recovered")).toList();
      assertThat(recovered).hasSize(2); // one message, delivered to each of the two mailboxes
      assertThat(recipients(recovered.get(0))).containsExactly("billing-team@example.com", "ops@example.com");
      assertThat(GreenMailUtil.getBody(recovered.get(0))).contains(s.id()).doesNotContain("very-secret");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        HealthDetails h = engine.status(s.id()).orElseThrow().details();
        assertThat(h.lastAlert()).startsWith("recovered").endsWith("sent");
        assertThat(h.lastAlertSent()).isTrue();
      });
    }
    assertThat(smtp.getReceivedMessages()).hasSize(4);
  }

  @Test
  @DisplayName("flapping (fail, recover, fail within the minimum interval) sends no storm")
  void flappingSendsNoStorm() throws Exception {
    smtp.start();
    String t = topic(kafka, "flap", 1);
    receiver.alwaysRespond(503);
    try (Webhookd engine = engine(kafka).alertChannel(channel()).alertMinInterval(Duration.ofMinutes(5)).build()) {
      Subscription s = engine.subscribe(spec(t).alertEmails(List.of("ops@example.com")).build());
      for (int round = 0; round < 3; round++) {
        receiver.alwaysRespond(503);
        kafka.produce(t, jsonMessages(t, round * 5, 5));
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.status(s.id()).orElseThrow().health() == io.webhookd.Health.UNHEALTHY);
        receiver.alwaysRespond(200);
        receiver.awaitDeliveredCount((round + 1) * 5, Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.status(s.id()).orElseThrow().health() == io.webhookd.Health.HEALTHY);
      }
      // three failures and three recoveries: one mail of each kind
      await().atMost(Duration.ofSeconds(10)).until(() -> smtp.getReceivedMessages().length >= 2);
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> smtp.getReceivedMessages().length == 2);
    }
    assertThat(Arrays.stream(smtp.getReceivedMessages()).map(AlertingTest::subject)).containsExactly("[webhookd] orders-to-billing is failing: HTTP 503", "[webhookd] orders-to-billing recovered");
  }

  @Test
  @DisplayName("SMTP down, then up: the alert arrives late, not never, and deliveries meanwhile are not delayed")
  void smtpDownThenUp() throws Exception {
    String broken = topic(kafka, "smtp-down", 1);
    String fine = topic(kafka, "smtp-down-ok", 1);
    try (WebhookReceiver failing = WebhookReceiver.start();
        Webhookd engine = engine(kafka).alertChannel(channel()).build()) {
      failing.alwaysRespond(500);
      Subscription s = engine.subscribe(spec(broken).webhookUrl(failing.url().toString()).build());
      engine.subscribe(spec(fine).name("healthy-one").build());
      kafka.produce(broken, jsonMessages(broken, 0, 3));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        HealthDetails h = engine.status(s.id()).orElseThrow().details();
        assertThat(h.lastAlert()).contains("not sent yet");
        assertThat(h.lastAlertSent()).isFalse();
      });
      // the mail server is down; the other subscription delivers all the same
      kafka.produce(fine, jsonMessages(fine, 0, 200));
      receiver.awaitDeliveredCount(200, Duration.ofSeconds(30));
      assertThat(smtp.getReceivedMessages()).isEmpty();

      smtp.start();
      assertThat(smtp.waitForIncomingEmail(60_000, 1)).isTrue();
      assertThat(smtp.getReceivedMessages()[0].getSubject()).isEqualTo("[webhookd] orders-to-billing is failing: HTTP 500");
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.status(s.id()).orElseThrow().details().lastAlertSent());
    }
  }
}
