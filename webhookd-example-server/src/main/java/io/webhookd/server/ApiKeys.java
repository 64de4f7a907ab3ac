package io.webhookd.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * API key helpers: keys are kept only as SHA-256 hashes and compared in constant time with {@link
 * MessageDigest#isEqual}, so neither the time of a comparison nor a heap dump of the policy
 * reveals a key. Thread-safe.
 */
final class ApiKeys {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {}

  /** A new random key: {@code whk_} and 32 random bytes in URL-safe base64. */
  static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "whk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** A new Standard Webhooks signing secret: {@code whsec_} and base64 of 32 random bytes. */
  static String newSigningSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "whsec_" + Base64.getEncoder().encodeToString(bytes);
  }

  /** Printable ASCII without spaces: what fits in an {@code Authorization: Bearer} header. */
  static boolean isWellFormed(String key) {
    if (key.isEmpty() || key.length() > 512) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  static byte[] hash(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Constant-time comparison of two hashes of the same length. */
  static boolean matches(byte[] presentedHash, byte[] knownHash) {
    return MessageDigest.isEqual(presentedHash, knownHash);
  }
}
