package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SecretsTest {
  @Test
  @DisplayName("every header value is masked whole, whatever its name, but for the never-secret headers")
  void masksEveryHeaderButTheAllowList() {
    // the name heuristic showed these: a custom name, and a scheme-like first word
    assertThat(Secrets.maskHeaderValue("X-Webhook-Pass", "hunter2")).isEqualTo("****");
    assertThat(Secrets.maskHeaderValue("Authorization2", "SECRET tail")).isEqualTo("****");
    assertThat(Secrets.maskHeaderValue("Authorization", "Bearer abc.def")).isEqualTo("****");
    assertThat(Secrets.maskHeaderValue("X-Request-Source", "billing")).isEqualTo("****");
    assertThat(Secrets.maskHeaderValue("webhook-signature", "v1,abc")).isEqualTo("****");
    assertThat(Secrets.maskHeaderValue("Set-Cookie", "sid=1")).isEqualTo("****");
    // never secret, whatever the case
    assertThat(Secrets.maskHeaderValue("Content-Type", "application/json")).isEqualTo("application/json");
    assertThat(Secrets.maskHeaderValue("user-agent", "webhookd/1")).isEqualTo("webhookd/1");
    assertThat(Secrets.maskHeaderValue("RETRY-AFTER", "5")).isEqualTo("5");
    assertThat(Secrets.maskHeaderValue("webhook-id", "b1")).isEqualTo("b1");
  }

  @Test
  @DisplayName("a URL's user info and every query value are masked; names, host, port and path are shown")
  void masksUserInfoAndEveryQueryValue() {
    assertThat(Secrets.maskUrl(URI.create("https://user:pw@h.example.com:8443/p/a?token=t1&x=1&api_key=k")))
        .isEqualTo("https://****@h.example.com:8443/p/a?token=****&x=****&api_key=****");
    assertThat(Secrets.maskUrl(URI.create("http://host/p/PATHSECRET?token=Q1&apikey=Q2")))
        .isEqualTo("http://host/p/PATHSECRET?token=****&apikey=****");
    assertThat(Secrets.maskUrl(URI.create("http://h/p?bare&empty=&=v&&a=1")))
        .isEqualTo("http://h/p?****&empty=&=****&&a=****");
    assertThat(Secrets.maskUrl(URI.create("http://h/p"))).isEqualTo("http://h/p");
    // masking twice changes nothing
    String once = Secrets.maskUrl(URI.create("https://u:p@h/x?a=1&b"));
    assertThat(Secrets.maskUrl(URI.create(once))).isEqualTo(once);
  }

  @Test
  @DisplayName("text that does not parse as a URL is masked after ? and in its user info")
  void masksUnparseableUrlText() {
    assertThat(Secrets.maskUrlText("http://exa mple.com/x?token=Q1 Q2")).isEqualTo("http://exa mple.com/x?****");
    assertThat(Secrets.maskUrlText("http://user:pass word@h/x")).isEqualTo("http://****@h/x");
    assertThat(Secrets.maskUrlText("ftp://u:pw@h/x?k=v")).isEqualTo("ftp://****@h/x?k=****");
    assertThat(Secrets.maskUrlText("not a url")).isEqualTo("not a url");
  }
}
