package io.webhookd.store.jdbc;

import io.webhookd.WebhookdException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AES-256-GCM for secret values at rest: {@code enc:v1:<key id>:<base64 of nonce and ciphertext
 * with tag>}, a random 12-byte nonce per value, the subscription id as associated data (so a value
 * cannot be moved to another row). The key id is the first 8 hex digits of the SHA-256 of the key.
 * One key encrypts; every key (the encryption key and the old ones) decrypts. Thread-safe.
 */
final class SecretCipher {
  static final String PREFIX = "enc:v1:";
  private static final Logger LOG = LoggerFactory.getLogger(SecretCipher.class);
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String encryptionKeyId;
  private final Map<String, SecretKey> keys;

  private SecretCipher(String encryptionKeyId, Map<String, SecretKey> keys) {
    this.encryptionKeyId = encryptionKeyId;
    this.keys = keys;
  }

  /**
   * @param encryptionKey base64 of 32 bytes
   * @param oldKeys base64 of 32 bytes each, for reading values written with them
   */
  static SecretCipher of(String encryptionKey, List<String> oldKeys) {
    Map<String, SecretKey> keys = new LinkedHashMap<>();
    byte[] current = decodeKey(encryptionKey, "encryptionKey");
    String currentId = keyId(current);
    keys.put(currentId, new SecretKeySpec(current, "AES"));
    for (int i = 0; i < oldKeys.size(); i++) {
      byte[] k = decodeKey(oldKeys.get(i), "decryptionKeys[" + i + "]");
      keys.putIfAbsent(keyId(k), new SecretKeySpec(k, "AES"));
    }
    return new SecretCipher(currentId, Map.copyOf(keys));
  }

  /**
   * Reads a key file (first non-comment line the encryption key, further lines old keys),
   * creating it with a new random key and owner-only permissions when it does not exist.
   */
  static SecretCipher fromKeyFile(Path file, List<String> extraOldKeys) {
    try {
      if (!Files.exists(file)) {
        createKeyFile(file);
      }
      List<String> lines = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
        String l = line.strip();
        if (!l.isEmpty() && !l.startsWith("#")) {
          lines.add(l);
        }
      }
      if (lines.isEmpty()) {
        throw new WebhookdException("key file " + file + " holds no key");
      }
      checkPermissions(file);
      List<String> old = new ArrayList<>(lines.subList(1, lines.size()));
      old.addAll(extraOldKeys);
      return of(lines.get(0), old);
    } catch (IOException e) {
      throw new WebhookdException("cannot read or create the key file " + file + ": " + e, e);
    }
  }

  private static void createKeyFile(Path file) throws IOException {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    String text =
        "# webhookd encryption key (AES-256, base64). Keep it secret and back it up with the data:\n"
            + "# without it the stored webhook secrets cannot be read. First key encrypts; later\n"
            + "# lines are old keys, still used to decrypt.\n"
            + Base64.getEncoder().encodeToString(key)
            + "\n";
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    try {
      if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(
            file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(file);
      }
      Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
      LOG.info("created a new encryption key file {}", file);
    } catch (FileAlreadyExistsException e) {
      // Another process created it first: use theirs.
    }
  }

  private static void checkPermissions(Path file) throws IOException {
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
      if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
        LOG.warn("key file {} is readable by others ({}); it should be rw-------", file, PosixFilePermissions.toString(p));
      }
    }
  }

  private static byte[] decodeKey(String base64, String what) {
    byte[] k;
    try {
      k = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new WebhookdException(what + " must be base64 of 32 bytes, was not valid base64");
    }
    if (k.length != 32) {
      throw new WebhookdException(what + " must be base64 of 32 bytes, was " + k.length + " bytes");
    }
    return k;
  }

  static String keyId(byte[] key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key);
      return HexFormat.of().formatHex(d, 0, 4);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  String encryptionKeyId() {
    return encryptionKeyId;
  }

  String encrypt(String plain, String context) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, keys.get(encryptionKeyId), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] ct = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[nonce.length + ct.length];
      System.arraycopy(nonce, 0, out, 0, nonce.length);
      System.arraycopy(ct, 0, out, nonce.length, ct.length);
      return PREFIX + encryptionKeyId + ":" + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new WebhookdException("cannot encrypt a secret: " + e, e);
    }
  }

  /** The plain text of an encrypted value; a value without the prefix is returned as it is. */
  String decrypt(String value, String context) {
    if (!value.startsWith(PREFIX)) {
      return value;
    }
    int colon = value.indexOf(':', PREFIX.length());
    if (colon < 0) {
      throw new WebhookdException("a stored secret is malformed (no key id)");
    }
    String keyId = value.substring(PREFIX.length(), colon);
    SecretKey key = keys.get(keyId);
    if (key == null) {
      throw new WebhookdException(
          "a stored secret was encrypted with key "
              + keyId
              + ", which is not configured (known keys: "
              + String.join(", ", keys.keySet())
              + "); add it as an old key (decryptionKeys or a later line of the key file)");
    }
    try {
      byte[] in = Base64.getDecoder().decode(value.substring(colon + 1));
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
      c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      return new String(c.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new WebhookdException(
          "a stored secret cannot be decrypted with key " + keyId + " (wrong key or corrupted data)", e);
    }
  }
}
