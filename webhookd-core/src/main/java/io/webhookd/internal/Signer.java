package io.webhookd.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Standard Webhooks signatures: HMAC-SHA256 over {@code id.timestamp.body} with the base64 key
 * after {@code whsec_}, sent as {@code v1,<base64>}. One instance per secret; not thread-safe (it
 * keeps a {@link Mac}); the engine uses one per consumer thread.
 */
public final class Signer {
  public static final String PREFIX = "whsec_";
  private final Mac mac;

  /**
   * @throws IllegalArgumentException when the secret is not a Standard Webhooks secret ({@link #checkSecret})
   */
  public Signer(String secret) {
    String why = checkSecret(secret);
    if (why != null) {
      throw new IllegalArgumentException("the signing secret " + why);
    }
    try {
      byte[] key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid signing secret", e);
    }
  }

  /** Why the secret is unusable, or {@code null} when it is a valid Standard Webhooks secret. */
  public static @Nullable String checkSecret(String secret) {
    if (!secret.startsWith(PREFIX)) {
      return "must start with \"whsec_\" followed by base64 of 24 to 64 random bytes";
    }
    try {
      int n = Base64.getDecoder().decode(secret.substring(PREFIX.length())).length;
      if (n < 24 || n > 64) {
        return "must hold 24 to 64 bytes after \"whsec_\", held " + n;
      }
      return null;
    } catch (IllegalArgumentException e) {
      return "must be \"whsec_\" followed by valid base64";
    }
  }

  /** A new random secret of 32 bytes. */
  public static String newSecret() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return PREFIX + Base64.getEncoder().encodeToString(b);
  }

  /** The value of the {@code webhook-signature} header. */
  public String sign(String id, long timestampSeconds, byte[] body) {
    mac.update(id.getBytes(StandardCharsets.UTF_8));
    mac.update((byte) '.');
    mac.update(Long.toString(timestampSeconds).getBytes(StandardCharsets.US_ASCII));
    mac.update((byte) '.');
    byte[] sig = mac.doFinal(body);
    return "v1," + Base64.getEncoder().encodeToString(sig);
  }
}
