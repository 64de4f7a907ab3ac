package io.webhookd.http.common;

import java.io.EOFException;
import java.net.SocketException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Which transport failures are worth retrying: the one classification every HTTP transport uses
 * for the {@code retryable} flag of a failed {@link io.webhookd.spi.DeliveryResult}.
 */
public final class TransportFailures {
  private TransportFailures() {}

  /**
   * Retry classification: TLS handshake and certificate failures, SSRF refusals and malformed
   * requests will fail the same way again; everything else (timeouts, refused or reset
   * connections, other I/O errors) may not.
   */
  public static boolean isRetryable(Throwable failure) {
    for (Throwable c = failure; c != null; c = c.getCause()) {
      if (c instanceof ForbiddenDestinationException || c instanceof IllegalArgumentException) {
        return false;
      }
      if (c instanceof SSLPeerUnverifiedException
          || c instanceof CertificateException
          || c instanceof CertPathValidatorException) {
        return false;
      }
      if (c instanceof SSLHandshakeException) {
        // A handshake cut short by the network ("Remote host terminated the handshake") is
        // transient; a handshake the peer or the trust checks rejected is not.
        return hasCause(c, EOFException.class) || hasCause(c, SocketException.class);
      }
    }
    return true;
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }
}
