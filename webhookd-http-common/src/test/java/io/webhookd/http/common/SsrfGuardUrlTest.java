package io.webhookd.http.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The URL checks, the guarded resolution, failure classification and option checks (no DNS: fixed resolvers). */
class SsrfGuardUrlTest {
  private static Resolver fixed(String... addresses) {
    return host -> {
      InetAddress[] out = new InetAddress[addresses.length];
      for (int i = 0; i < addresses.length; i++) {
        out[i] = InetAddress.getByName(addresses[i]);
      }
      return out;
    };
  }

  @Test
  @DisplayName("a host is refused when any of its addresses is forbidden, naming the host but not the address (no DNS oracle)")
  void resolveCheckedRefusesAnyForbiddenAddress() throws Exception {
    assertThat(SsrfGuard.resolveChecked(fixed("93.184.216.34"), AddressPolicy.SSRF_GUARD, "example.test")).hasSize(1);
    assertThatThrownBy(() -> SsrfGuard.resolveChecked(fixed("93.184.216.34", "10.0.0.7"), AddressPolicy.SSRF_GUARD, "mixed.test"))
        .isInstanceOf(ForbiddenDestinationException.class)
        .hasMessageContaining("mixed.test").hasMessageContaining("private or loopback address").hasMessageNotContaining("10.0.0.7");
    assertThatThrownBy(() -> SsrfGuard.resolveChecked(fixed(), AddressPolicy.SSRF_GUARD, "none.test"))
        .isInstanceOf(UnknownHostException.class);
  }

  @Test
  @DisplayName("checkUrl: syntax first; private hosts only when allowed; a host that does not resolve now is not refused")
  void checkUrl() {
    Resolver loopback = fixed("127.0.0.1");
    Resolver unknown = host -> {
      throw new UnknownHostException(host);
    };
    assertThat(SsrfGuard.checkUrl(URI.create("ftp://x.test/"), true, loopback, AddressPolicy.SSRF_GUARD)).contains("http or https");
    assertThat(SsrfGuard.checkUrl(URI.create("https://user:pw@x.test/"), false, loopback, AddressPolicy.SSRF_GUARD)).contains("user info");
    assertThat(SsrfGuard.checkUrl(URI.create("http:///no-host"), false, loopback, AddressPolicy.SSRF_GUARD)).contains("must have a host");
    assertThat(SsrfGuard.checkUrl(URI.create("https://hook.test/x"), false, loopback, AddressPolicy.SSRF_GUARD)).startsWith("url host hook.test resolves to a private or loopback address").doesNotContain("127.0.0.1");
    assertThat(SsrfGuard.checkUrl(URI.create("https://hook.test/x"), true, loopback, AddressPolicy.SSRF_GUARD)).isNull();
    assertThat(SsrfGuard.checkUrl(URI.create("https://later.test/x"), false, unknown, AddressPolicy.SSRF_GUARD)).isNull();
    assertThat(SsrfGuard.bareHost("[::1]")).isEqualTo("::1");
  }

  @Test
  @DisplayName("refusals, malformed requests and rejected TLS are not retryable; I/O errors and handshakes cut short are")
  void retryClassification() {
    assertThat(TransportFailures.isRetryable(new ForbiddenDestinationException("no"))).isFalse();
    assertThat(TransportFailures.isRetryable(new IOException(new IllegalArgumentException("bad")))).isFalse();
    assertThat(TransportFailures.isRetryable(new SSLHandshakeException("PKIX path building failed"))).isFalse();
    SSLHandshakeException cut = new SSLHandshakeException("Remote host terminated the handshake");
    cut.initCause(new java.io.EOFException());
    assertThat(TransportFailures.isRetryable(cut)).isTrue();
    assertThat(TransportFailures.isRetryable(new java.net.ConnectException("refused"))).isTrue();
  }

  @Test
  @DisplayName("option checks name the option, the rule and the value")
  void options() {
    assertThat(TransportOptions.connectTimeout(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
    assertThatThrownBy(() -> TransportOptions.connectTimeout(Duration.ZERO)).hasMessage("connectTimeout must be positive, was PT0S");
    assertThatThrownBy(() -> TransportOptions.maxResponseBodyBytes(-1)).hasMessage("maxResponseBodyBytes must be at least 0, was -1");
  }
}
