package io.webhookd.alert.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.alert.smtp.AlertMessageFormatter.AlertMessage;
import io.webhookd.spi.Alert;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AlertMessageFormatterTest {
  private final AlertMessageFormatter formatter =
      AlertMessageFormatter.create(Clock.fixed(Alerts.AT, ZoneOffset.UTC));

  @ParameterizedTest(name = "{0} with {1} / {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "UNHEALTHY | 503 | oops  | [webhookd] orders-to-billing is failing: HTTP 503",
        "RECOVERED | 200 | ok    | [webhookd] orders-to-billing recovered",
        "DISABLED  | 410 | gone  | [webhookd] orders-to-billing was disabled: HTTP 410",
        "REMINDER  | 503 | oops  | [webhookd] orders-to-billing is still failing: HTTP 503",
        "UNHEALTHY |     | connection refused | [webhookd] orders-to-billing is failing: no response (connection refused)",
        "REMINDER  |     |       | [webhookd] orders-to-billing is still failing: no response",
        "DEAD_LETTERED | 400 | bad | [webhookd] orders-to-billing moved messages to its dead letters: HTTP 400",
      })
  @DisplayName("the subject says what happened, with the status code or why there was none")
  void subjectSaysWhatHappened(Alert.Kind kind, Integer code, String excerpt, String subject) {
    assertThat(formatter.format(Alerts.of(kind, code, excerpt)).subject()).isEqualTo(subject);
  }

  @Test
  void bothPartsHoldEveryFact() {
    AlertMessage m = formatter.format(Alerts.unhealthy());

    for (String part : new String[] {m.text(), m.html()}) {
      assertThat(part)
          .contains("orders-to-billing is failing: HTTP 503")
          .contains("Retries are exhausted")
          .contains(Alerts.NAME)
          .contains(Alerts.ID)
          .contains("https://billing.example.com/hooks/orders?token=****")
          .contains("HTTP 503")
          .contains("upstream unavailable")
          .contains("3 h 12 min ago")
          .contains("2026-11-29 07:03:30 UTC")
          .contains("1,234")
          .contains("retrying every 5 min until the webhook accepts the batch")
          .contains("2026-11-29 10:15:30 UTC");
    }
    assertThat(m.text()).contains("Messages waiting: 1,234");
  }

  @Test
  void lastSuccessReadsNeverAndUnknownLagIsLeftOut() {
    AlertMessage m = formatter.format(Alerts.neverSucceededLagUnknown());

    assertThat(m.text()).contains("Last success:     never").doesNotContain("Messages waiting");
    assertThat(m.html()).contains("never").doesNotContain("Messages waiting");
  }

  @Test
  void htmlPartEscapesAHostileResponseBody() {
    String hostile = "<script>alert('x')</script><img src=x onerror=\"steal()\"> & more";
    AlertMessage m = formatter.format(Alerts.of(Alert.Kind.UNHEALTHY, 500, hostile));

    assertThat(m.html())
        .doesNotContain("<script>")
        .doesNotContain("<img")
        .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
        .contains("&lt;img src=x onerror=&quot;steal()&quot;&gt; &amp; more");
    assertThat(m.text()).contains(hostile);
  }

  @Test
  void htmlPartEscapesTheSubscriptionName() {
    Alert a = Alerts.unhealthy();
    Alert hostile =
        new Alert(a.kind(), a.subscriptionId(), "<b>evil</b>", a.maskedUrl(), a.recipients(),
            a.at(), a.lastResponseCode(), a.lastResponseExcerpt(), a.lastSuccessAt(),
            a.consumerLag(), a.nextStep());

    assertThat(formatter.format(hostile).html()).doesNotContain("<b>evil").contains("&lt;b&gt;evil");
  }

  @Test
  void longResponseBodyIsCutToTwoKilobytesAndSaysSo() {
    String body = "x".repeat(10_000);
    AlertMessage m = formatter.format(Alerts.of(Alert.Kind.UNHEALTHY, 500, body));

    assertThat(m.text())
        .contains("x".repeat(AlertMessageFormatter.MAX_EXCERPT_CHARS))
        .doesNotContain("x".repeat(AlertMessageFormatter.MAX_EXCERPT_CHARS + 1))
        .contains("truncated; 10000 characters in all");
    assertThat(m.html()).doesNotContain("x".repeat(AlertMessageFormatter.MAX_EXCERPT_CHARS + 1));
  }

  @Test
  void subjectIsOneLineWhateverTheInputs() {
    Alert a = Alerts.of(Alert.Kind.UNHEALTHY, null, "connect failed\r\nBcc: victim@example.com");
    Alert named =
        new Alert(a.kind(), a.subscriptionId(), "orders\r\nBcc: x@example.com", a.maskedUrl(),
            a.recipients(), a.at(), null, a.lastResponseExcerpt(), a.lastSuccessAt(),
            a.consumerLag(), a.nextStep());

    String subject = formatter.format(named).subject();

    assertThat(subject)
        .doesNotContain("\r")
        .doesNotContain("\n")
        .isEqualTo(
            "[webhookd] orders Bcc: x@example.com is failing: no response (connect failed Bcc:"
                + " victim@example.com)");
  }

  @Test
  void urlIsMaskedAgainEvenWhenTheCallerDidNot() {
    AlertMessage m =
        formatter.format(
            Alerts.withUrl("https://user:hunter2@billing.example.com/hook?api_key=abc123&x=1"));

    assertThat(m.text() + m.html())
        .doesNotContain("hunter2")
        .doesNotContain("abc123")
        .doesNotContain("user:")
        .contains("https://****@billing.example.com/hook?api_key=****&amp;x=****");
  }

  @Test
  void unparseableUrlIsNotShownAtAll() {
    AlertMessage m = formatter.format(Alerts.withUrl("https://bad host/secret?token=abc"));

    assertThat(m.text()).doesNotContain("abc").contains("**** (unparseable URL)");
  }

  @ParameterizedTest(name = "{0} reads {1}")
  @CsvSource({
    "PT0S, just now",
    "PT-5S, just now",
    "PT45S, 45 s ago",
    "PT1M30S, 1 min 30 s ago",
    "PT12M, 12 min ago",
    "PT3H12M40S, 3 h 12 min ago",
    "PT5H, 5 h ago",
    "P2DT4H30M, 2 d 4 h ago",
  })
  void timeSinceLastSuccessReadsLikeAPerson(Duration elapsed, String expected) {
    assertThat(AlertMessageFormatter.humanAgo(elapsed)).isEqualTo(expected);
  }
}
