package io.webhookd.loadtest;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Verifies Standard Webhooks signatures with code of its own (it shares nothing with the engine's
 * signer): HMAC-SHA256 of {@code webhook-id + "." + webhook-timestamp + "." + body} keyed with the
 * base64 bytes after {@code whsec_}; the header holds space-separated {@code v1,<base64>} entries,
 * any of which may match; the timestamp must be within five minutes. Thread-safe.
 */
final class SignatureVerifier {
  static final long TOLERANCE_SECONDS = 300;
  private final byte[] key;
  private final ThreadLocal<Mac> macs;

  SignatureVerifier(String secret) {
    if (!secret.startsWith("whsec_")) {
      throw new IllegalArgumentException("a signing secret starts with whsec_");
    }
    this.key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
    this.macs =
        ThreadLocal.withInitial(
            () -> {
              try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(new SecretKeySpec(key, "HmacSHA256"));
                return m;
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
              }
            });
  }

  /** A fresh random secret: {@code whsec_} and base64 of 32 random bytes. */
  static String newSecret() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return "whsec_" + Base64.getEncoder().encodeToString(b);
  }

  /** Why the request's signature is not valid, or {@code null} when it is. */
  @Nullable String check(@Nullable String id, @Nullable String timestamp, @Nullable String signatures, byte[] body, long nowSeconds) {
    if (id == null || timestamp == null || signatures == null) {
      return "missing webhook-id, webhook-timestamp or webhook-signature";
    }
    long ts;
    try {
      ts = Long.parseLong(timestamp.trim());
    } catch (NumberFormatException e) {
      return "webhook-timestamp is not a number: " + timestamp;
    }
    if (Math.abs(nowSeconds - ts) > TOLERANCE_SECONDS) {
      return "webhook-timestamp " + ts + " is more than 5 minutes from now (" + nowSeconds + ")";
    }
    Mac mac = macs.get();
    mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
    byte[] expected = mac.doFinal(body);
    for (String part : signatures.trim().split(" +")) {
      int comma = part.indexOf(',');
      if (comma < 0 || !part.substring(0, comma).equals("v1")) {
        continue;
      }
      byte[] got;
      try {
        got = Base64.getDecoder().decode(part.substring(comma + 1));
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (MessageDigest.isEqual(expected, got)) {
        return null;
      }
    }
    return "no v1 signature matches";
  }

  /** Signs like a Standard Webhooks sender (used by the naive baseline relay). */
  String sign(String id, long timestampSeconds, byte[] body) {
    Mac mac = macs.get();
    mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
  }
}
