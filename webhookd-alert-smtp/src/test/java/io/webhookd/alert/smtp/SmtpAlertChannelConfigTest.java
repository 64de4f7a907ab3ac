package io.webhookd.alert.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SmtpAlertChannelConfigTest {

  @Test
  void noHostMeansNoMailChannel() {
    assertThat(SmtpAlertChannel.fromEnvironment(Map.of())).isEmpty();
    assertThat(SmtpAlertChannel.fromEnvironment(Map.of("WEBHOOKD_SMTP_HOST", "  ", "WEBHOOKD_SMTP_FROM", "a@b.c")))
        .isEmpty();
  }

  @Test
  void readsEveryVariable() {
    Optional<SmtpAlertChannel> channel =
        SmtpAlertChannel.fromEnvironment(
            Map.of(
                "WEBHOOKD_SMTP_HOST", "smtp.example.com",
                "WEBHOOKD_SMTP_PORT", "2587",
                "WEBHOOKD_SMTP_USERNAME", "webhookd",
                "WEBHOOKD_SMTP_PASSWORD", "hunter2",
                "WEBHOOKD_SMTP_FROM", "webhookd@example.com",
                "WEBHOOKD_SMTP_STARTTLS", "TRUE"));

    assertThat(channel).isPresent();
    try (SmtpAlertChannel c = channel.get()) {
      assertThat(c.toString())
          .isEqualTo(
              "SmtpAlertChannel[smtp.example.com:2587, tls=starttls, username=webhookd,"
                  + " password=****, from=webhookd@example.com]")
          .doesNotContain("hunter2");
    }
  }

  @Test
  void portDefaultsFollowTheTlsMode() {
    Map<String, String> env = new HashMap<>(Map.of("WEBHOOKD_SMTP_HOST", "mx", "WEBHOOKD_SMTP_FROM", "a@example.com"));
    try (SmtpAlertChannel c = SmtpAlertChannel.fromEnvironment(env).orElseThrow()) {
      assertThat(c.toString()).contains("mx:25, tls=none");
    }
    env.put("WEBHOOKD_SMTP_STARTTLS", "yes");
    try (SmtpAlertChannel c = SmtpAlertChannel.fromEnvironment(env).orElseThrow()) {
      assertThat(c.toString()).contains("mx:587, tls=starttls");
    }
    env.put("WEBHOOKD_SMTP_STARTTLS", "false");
    env.put("WEBHOOKD_SMTP_SSL", "1");
    try (SmtpAlertChannel c = SmtpAlertChannel.fromEnvironment(env).orElseThrow()) {
      assertThat(c.toString()).contains("mx:465, tls=implicit");
    }
  }

  @Test
  void reportsEveryProblemAtOnceNamingTheVariable() {
    assertThatThrownBy(
            () ->
                SmtpAlertChannel.fromEnvironment(
                    Map.of(
                        "WEBHOOKD_SMTP_HOST", "smtp.example.com",
                        "WEBHOOKD_SMTP_PORT", "smtp",
                        "WEBHOOKD_SMTP_USERNAME", "webhookd",
                        "WEBHOOKD_SMTP_FROM", "not an address",
                        "WEBHOOKD_SMTP_STARTTLS", "maybe")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("WEBHOOKD_SMTP_PORT: must be a number between 1 and 65535, was 'smtp'")
        .hasMessageContaining("WEBHOOKD_SMTP_STARTTLS: must be true or false, was 'maybe'")
        .hasMessageContaining("WEBHOOKD_SMTP_PASSWORD: must be set when username is")
        .hasMessageContaining("WEBHOOKD_SMTP_FROM: must be an email address such as webhookd@example.com, was 'not an address'");
  }

  @Test
  void fromIsRequired() {
    assertThatThrownBy(() -> SmtpAlertChannel.fromEnvironment(Map.of("WEBHOOKD_SMTP_HOST", "mx")))
        .hasMessageContaining("WEBHOOKD_SMTP_FROM: must be set");
  }

  @Test
  void portOutOfRangeIsRejectedNotClamped() {
    assertThatThrownBy(
            () -> SmtpAlertChannel.builder().host("mx").port(70000).from("a@example.com").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port: must be between 1 and 65535, was 70000");
    assertThatThrownBy(
            () ->
                SmtpAlertChannel.fromEnvironment(
                    Map.of("WEBHOOKD_SMTP_HOST", "mx", "WEBHOOKD_SMTP_PORT", "0", "WEBHOOKD_SMTP_FROM", "a@example.com")))
        .hasMessageContaining("WEBHOOKD_SMTP_PORT: must be between 1 and 65535, was 0");
  }

  @Test
  void startTlsAndImplicitTlsAreExclusive() {
    assertThatThrownBy(
            () ->
                SmtpAlertChannel.builder()
                    .host("mx")
                    .from("a@example.com")
                    .startTls(true)
                    .implicitTls(true)
                    .build())
        .hasMessageContaining("implicitTls: cannot be combined with startTls");
  }

  @Test
  void builderReportsEveryProblemAtOnce() {
    assertThatThrownBy(
            () ->
                SmtpAlertChannel.builder()
                    .password("secret-value")
                    .connectTimeout(Duration.ZERO)
                    .timeout(Duration.ofSeconds(-1))
                    .trustAllCertificatesForTesting(true)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host: must be set")
        .hasMessageContaining("from: must be set")
        .hasMessageContaining("username: must be set when password is")
        .hasMessageContaining("connectTimeout: must be positive, was PT0S")
        .hasMessageContaining("timeout: must be positive, was PT-1S")
        .hasMessageContaining("trustAllCertificatesForTesting: applies only with startTls or implicitTls")
        .hasMessageNotContaining("secret-value");
  }
}
