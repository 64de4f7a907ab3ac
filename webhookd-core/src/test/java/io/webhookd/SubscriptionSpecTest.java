package io.webhookd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SubscriptionSpecTest {

  private static SubscriptionSpec.Builder valid() {
    return SubscriptionSpec.builder()
        .name("orders-to-billing")
        .webhookUrl("https://billing.example.com/hooks?token=abc")
        .header("Authorization", "Bearer s3cr3t")
        .source("orders", "value.amount > `100`");
  }

  @Test
  @DisplayName("a valid spec builds with the seed's defaults")
  void buildsWithDefaults() {
    SubscriptionSpec s = valid().build();
    assertThat(s.active()).isTrue();
    assertThat(s.batching().maxBatchSize()).isEqualTo(100);
    assertThat(s.retry().algorithm()).isEqualTo(RetryAlgorithm.EXPONENTIAL_BACKOFF);
    assertThat(s.topics()).containsExactly("orders");
    assertThat(s.toBuilder().build()).isEqualTo(s);
  }

  @Test
  @DisplayName("every problem is reported at once, each with its field, rule and value")
  void reportsEveryProblem() {
    SubscriptionSpec.Builder b =
        SubscriptionSpec.builder()
            .name(" ")
            .webhookUrl("example.com/x")
            .header("Bad Name", "v")
            .signingSecret("nope")
            .source("bad topic!", "value.amount >")
            .maxBatchSize(0)
            .maxBatchInterval(Duration.ofSeconds(301))
            .maxRetries(11)
            .retryAlgorithm(null)
            .alerting(new SubscriptionSpec.Alerting("sms", List.of("not-an-email")))
            .rateLimit(-1.0);
    assertThatThrownBy(b::build)
        .isInstanceOfSatisfying(
            ValidationException.class,
            e -> {
              assertThat(e.problems())
                  .extracting(Problem::field)
                  .containsExactly(
                      "name",
                      "destination.webhook.url",
                      "destination.webhook.headers[0]",
                      "destination.webhook.signing_secret",
                      "source[0].topic",
                      "source[0].jmes_filters[0]",
                      "configuration.batching.max_batch_size",
                      "configuration.batching.max_batch_interval_seconds",
                      "configuration.retry.max_retries",
                      "configuration.retry.retry_algorithm",
                      "configuration.alerting.alert_channel",
                      "configuration.alerting.alert_emails[0]",
                      "configuration.rate_limit.max_requests_per_second");
              assertThat(e.problems().get(6).message()).isEqualTo("must be between 1 and 1000, was 0");
              assertThat(e.problems().get(8).message()).isEqualTo("must be between 0 and 10, was 11");
              assertThat(e.problems().get(1).message()).contains("absolute URL").contains("example.com/x");
            });
  }

  @Test
  @DisplayName("a spec needs at least one source and a URL")
  void requiresSourceAndUrl() {
    assertThatThrownBy(() -> SubscriptionSpec.builder().name("x").build())
        .isInstanceOfSatisfying(
            ValidationException.class,
            e -> assertThat(e.problems()).extracting(Problem::field).containsExactly("destination.webhook.url", "source"));
  }

  @Test
  @DisplayName("headers webhookd sets itself cannot be overridden")
  void refusesReservedHeaders() {
    assertThatThrownBy(() -> valid().header("webhook-signature", "x").header("Content-Length", "1").build())
        .isInstanceOfSatisfying(
            ValidationException.class,
            e -> assertThat(e.problems()).extracting(Problem::field)
                .containsExactly("destination.webhook.headers[1]", "destination.webhook.headers[2]"));
  }

  @Test
  @DisplayName("toString and masked forms never show secrets")
  void masksSecrets() {
    SubscriptionSpec s = valid().signingSecret("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32])).build();
    assertThat(s.toString()).doesNotContain("s3cr3t").doesNotContain("token=abc").doesNotContain("AAAAAAAA");
    assertThat(s.destination().headers().get(0).masked()).isEqualTo("Authorization: ****");
  }
}
