package io.webhookd;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class SecretsTest {
  @Test
  void namesAreJudgedTheSameWhenRemembered() {
    // more names than the cache holds: those past the bound are judged each time, alike
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 1500; i++) {
        assertThat(Secrets.isSecretName("X-Plain-" + i)).as("X-Plain-%d, round %d", i, round).isFalse();
        assertThat(Secrets.isSecretName("X-Token-" + i)).as("X-Token-%d, round %d", i, round).isTrue();
      }
    }
    assertThat(Secrets.isSecretName("Content-Type")).isFalse();
    assertThat(Secrets.isSecretName("webhook-signature")).isTrue();
    assertThat(Secrets.isSecretName("WEBHOOK-SIGNATURE")).isTrue();
  }

  @Test
  void masksSecretHeaders() {
    assertThat(Secrets.maskHeaderValue("Authorization", "Bearer abc.def")).isEqualTo("Bearer ****");
    assertThat(Secrets.maskHeaderValue("X-Api-Key", "abc")).isEqualTo("****");
    assertThat(Secrets.maskHeaderValue("X-Shared-Secret", "abc")).isEqualTo("****");
    assertThat(Secrets.maskHeaderValue("X-Request-Source", "billing")).isEqualTo("billing");
  }

  @Test
  void masksUrlPasswordsAndSecretParameters() {
    assertThat(Secrets.maskUrl(URI.create("https://user:pw@h.example.com:8443/p/a?token=t1&x=1&api_key=k")))
        .isEqualTo("https://user:****@h.example.com:8443/p/a?token=****&x=1&api_key=****");
    assertThat(Secrets.maskUrl(URI.create("http://h/p"))).isEqualTo("http://h/p");
  }
}
