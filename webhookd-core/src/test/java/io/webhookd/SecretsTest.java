package io.webhookd;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class SecretsTest {
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
