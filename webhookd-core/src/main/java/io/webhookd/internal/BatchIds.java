package io.webhookd.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;
import org.apache.kafka.common.TopicPartition;

/**
 * Batch ids (the {@code webhook-id} header) that depend only on what a batch holds: the
 * subscription, and each partition's offsets in the batch. A batch formed again from the same
 * messages, after a crash, a rebalance or a restart, on this engine or another, gets the same id,
 * so a receiver that remembers ids can drop it; a batch holding any other message gets another id.
 * The id is a version 8 UUID (RFC 9562) made of the first 122 bits of a SHA-256 over those inputs.
 *
 * <p>Not thread-safe: one per runner, used on its consumer thread. About 40 ns per message.
 */
final class BatchIds {
  private final MessageDigest sha;
  private final byte[] subscription;
  private final byte[] scratch = new byte[13];

  BatchIds(String subscriptionId) {
    try {
      this.sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    this.subscription = subscriptionId.getBytes(StandardCharsets.UTF_8);
  }

  /** Starts a batch's id. */
  void begin() {
    sha.reset();
    sha.update(subscription);
  }

  /** The following offsets are of this partition. */
  void partition(TopicPartition tp) {
    byte[] topic = tp.topic().getBytes(StandardCharsets.UTF_8);
    putInt(0, topic.length);
    scratch[4] = 'P';
    sha.update(scratch, 0, 5);
    sha.update(topic);
    putInt(0, tp.partition());
    sha.update(scratch, 0, 4);
  }

  /** One message of the batch, by offset. */
  void offset(long offset) {
    scratch[0] = 'O';
    for (int i = 0; i < 8; i++) {
      scratch[1 + i] = (byte) (offset >>> (56 - 8 * i));
    }
    sha.update(scratch, 0, 9);
  }

  /** The id of the batch described since {@link #begin()}. */
  String finish() {
    byte[] h = sha.digest();
    long msb = 0;
    long lsb = 0;
    for (int i = 0; i < 8; i++) {
      msb = (msb << 8) | (h[i] & 0xff);
      lsb = (lsb << 8) | (h[8 + i] & 0xff);
    }
    msb = (msb & ~0xF000L) | 0x8000L; // version 8
    lsb = (lsb & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // variant 2 (RFC 9562)
    return new UUID(msb, lsb).toString();
  }

  private void putInt(int at, int v) {
    scratch[at] = (byte) (v >>> 24);
    scratch[at + 1] = (byte) (v >>> 16);
    scratch[at + 2] = (byte) (v >>> 8);
    scratch[at + 3] = (byte) v;
  }
}
