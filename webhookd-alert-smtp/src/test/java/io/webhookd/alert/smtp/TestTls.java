package io.webhookd.alert.smtp;

import java.io.InputStream;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The test certificate in {@code localhost-test.p12}: self-signed for {@code localhost} and
 * {@code 127.0.0.1}, valid for 100 years (made with {@code keytool -genkeypair -keyalg EC
 * -validity 36500 -ext SAN=dns:localhost,ip:127.0.0.1}).
 */
final class TestTls {
  private static final char[] PASSWORD = "changeit".toCharArray();

  private TestTls() {}

  static KeyStore keyStore() throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = TestTls.class.getResourceAsStream("/localhost-test.p12")) {
      ks.load(in, PASSWORD);
    }
    return ks;
  }

  /** The server side: presents the localhost certificate. */
  static SSLContext serverContext() throws Exception {
    return serverContext(keyStore());
  }

  /** The server side: presents the certificate in {@code keys} (password {@code changeit}). */
  static SSLContext serverContext(KeyStore keys) throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  /** A client socket factory that trusts exactly {@code trusted}'s certificates. */
  static SSLSocketFactory clientTrusting(KeyStore trusted) throws Exception {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx.getSocketFactory();
  }
}
