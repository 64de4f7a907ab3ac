package io.webhookd.alert.smtp;

import io.webhookd.spi.Alert;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Alerts as the engine would raise them, for one subscription {@code orders-to-billing}. */
final class Alerts {
  static final Instant AT = Instant.parse("2026-11-29T10:15:30Z");
  static final Instant LAST_SUCCESS = AT.minus(Duration.ofHours(3).plusMinutes(12));
  static final String ID = "sub-7f3a";
  static final String NAME = "orders-to-billing";
  static final String URL = "https://billing.example.com/hooks/orders?token=****";
  static final List<String> RECIPIENTS = List.of("ops@example.com", "billing-team@example.org");

  private Alerts() {}

  static Alert unhealthy() {
    return new Alert(
        Alert.Kind.UNHEALTHY,
        ID,
        NAME,
        URL,
        RECIPIENTS,
        AT,
        503,
        "{\"error\":\"upstream unavailable\"}",
        LAST_SUCCESS,
        1234L,
        "retrying every 5 min until the webhook accepts the batch");
  }

  static Alert of(Alert.Kind kind, Integer code, String excerpt) {
    Alert a = unhealthy();
    return new Alert(
        kind, a.subscriptionId(), a.subscriptionName(), a.maskedUrl(), a.recipients(), a.at(),
        code, excerpt, a.lastSuccessAt(), a.consumerLag(), a.nextStep());
  }

  static Alert withRecipients(List<String> recipients) {
    Alert a = unhealthy();
    return new Alert(
        a.kind(), a.subscriptionId(), a.subscriptionName(), a.maskedUrl(), recipients, a.at(),
        a.lastResponseCode(), a.lastResponseExcerpt(), a.lastSuccessAt(), a.consumerLag(),
        a.nextStep());
  }

  static Alert withUrl(String url) {
    Alert a = unhealthy();
    return new Alert(
        a.kind(), a.subscriptionId(), a.subscriptionName(), url, a.recipients(), a.at(),
        a.lastResponseCode(), a.lastResponseExcerpt(), a.lastSuccessAt(), a.consumerLag(),
        a.nextStep());
  }

  static Alert neverSucceededLagUnknown() {
    Alert a = unhealthy();
    return new Alert(
        a.kind(), a.subscriptionId(), a.subscriptionName(), a.maskedUrl(), a.recipients(), a.at(),
        a.lastResponseCode(), a.lastResponseExcerpt(), null, null, a.nextStep());
  }
}
