package io.webhookd.json;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.Masking;
import java.net.URI;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MaskedValuesTest {
  @Test
  @DisplayName("header lines and request lines of stored activity are masked again")
  void masksLinesAgain() {
    assertThat(MaskedValues.maskHeaderLine("X-Webhook-Pass: hunter2")).isEqualTo("X-Webhook-Pass: ****");
    assertThat(MaskedValues.maskHeaderLine("Authorization: Bearer ****")).isEqualTo("Authorization: ****");
    assertThat(MaskedValues.maskHeaderLine("no colon secret")).isEqualTo("****");
    assertThat(MaskedValues.maskRequestLine("POST http://h/x?token=abc")).isEqualTo("POST http://h/x?token=****");
  }

  @Test
  @DisplayName("a masked URL maps back part by part, only on the same scheme, host and port")
  void unmasksUrlsByPlace() {
    URI stored = URI.create("https://u:pw@h.example.com/hook?token=T&region=eu");
    URI masked = URI.create(Masking.maskUrl(stored));
    assertThat(MaskedValues.unmaskUrl(masked, stored)).isEqualTo(stored);
    // a changed non-secret part is taken, the masked one is kept
    assertThat(MaskedValues.unmaskUrl(URI.create("https://****@h.example.com/v2?token=****&region=us"), stored))
        .isEqualTo(URI.create("https://u:pw@h.example.com/v2?token=T&region=us"));
    // refused: another host, another parameter at that place, a parameter the stored URL lacks
    assertThat(MaskedValues.unmaskUrl(URI.create("https://****@evil.example.com/hook?token=****&region=****"), stored)).isNull();
    assertThat(MaskedValues.unmaskUrl(URI.create("https://h.example.com/hook?region=****&token=****"), stored)).isNull();
    assertThat(MaskedValues.unmaskUrl(URI.create("https://h.example.com/hook?token=****&region=****&extra=****"), stored)).isNull();
    assertThat(MaskedValues.unmaskUrl(URI.create("https://h.example.com:444/hook?token=****"), stored)).isNull();
    // nothing masked: as sent
    URI plain = URI.create("https://other.example.com/x?token=new");
    assertThat(MaskedValues.unmaskUrl(plain, stored)).isSameAs(plain);
  }

  @Test
  @DisplayName("masked header values map back to a stored value; the old scheme form only to that scheme")
  void unmasksHeaderValues() {
    assertThat(MaskedValues.isMaskedHeaderValue("X-Api-Key", "****")).isTrue();
    assertThat(MaskedValues.isMaskedHeaderValue("Authorization", "Bearer ****")).isTrue();
    assertThat(MaskedValues.isMaskedHeaderValue("Accept", "****")).isFalse();
    assertThat(MaskedValues.isMaskedHeaderValue("X-Api-Key", "real")).isFalse();
    assertThat(MaskedValues.unmaskHeaderValue("****", "Basic TWO")).isEqualTo("Basic TWO");
    assertThat(MaskedValues.unmaskHeaderValue("Bearer ****", "bearer ONE")).isEqualTo("bearer ONE");
    assertThat(MaskedValues.unmaskHeaderValue("Bearer ****", "Basic TWO")).isNull();
  }
}
