package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.spi.Batcher;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Batcher} must do: the clauses of the interface's Javadoc, and the ones the
 * engine relies on to neither send empty batches nor let messages wait for ever. A batcher's test
 * extends this class and supplies {@link #createBatcher()}. The clauses probe the batcher over a
 * grid of queue lengths (0 to three times its maximum), their sizes in bytes (100 bytes to 10 KB a
 * message, and past {@code maxBatchBytes}) and waits (0 to an hour); no clock is involved.
 *
 * <pre>{@code
 * class SizeOrAgeBatcherTest extends BatcherContract {
 *   protected Batcher createBatcher() { return Batcher.sizeOrAge(10, Duration.ofSeconds(1).toNanos()); }
 * }
 * }</pre>
 */
public abstract class BatcherContract {

  /** The batcher under test: fresh for each test. */
  protected Batcher batcher;

  /** A new batcher; called once before each test. */
  protected abstract Batcher createBatcher();

  @BeforeEach
  void createBatcherUnderTest() {
    batcher = createBatcher();
  }

  /** Waits probed, in nanoseconds: 0, 1 ns, 1 ms, 10 ms, 100 ms, 1 s, 10 s, 1 min, 1 h. */
  protected List<Long> waits() {
    return List.of(0L, 1L, Duration.ofMillis(1).toNanos(), Duration.ofMillis(10).toNanos(), Duration.ofMillis(100).toNanos(),
        Duration.ofSeconds(1).toNanos(), Duration.ofSeconds(10).toNanos(), Duration.ofMinutes(1).toNanos(), Duration.ofHours(1).toNanos());
  }

  private List<Integer> queueLengths() {
    int max = batcher.maxBatchSize();
    return List.of(1, 2, Math.max(1, max / 2), Math.max(1, max - 1), max, max + 1, 2 * max, 3 * max);
  }

  /** Sizes in bytes probed for {@code waiting} messages: 100 bytes and 10 KB each, and just past {@code maxBatchBytes}. */
  private List<Long> byteSizes(int waiting) {
    return List.of(100L * waiting, 10_000L * waiting, batcher.maxBatchBytes() + 1);
  }

  @Test
  @DisplayName("maxBatchSize and maxBatchBytes are at least 1")
  void maxBatchSizeIsPositive() {
    assertThat(batcher.maxBatchSize()).isPositive();
    assertThat(batcher.maxBatchBytes()).isPositive();
  }

  @Test
  @DisplayName("with nothing waiting it asks for no batch, and says it never will (nanosUntilDue is positive)")
  void nothingWaitingMeansNoBatch() {
    for (long wait : waits()) {
      assertThat(batcher.batchSize(0, 0, wait)).as("batchSize(0, 0, %s)", wait).isZero();
      assertThat(batcher.nanosUntilDue(0, 0, wait)).as("nanosUntilDue(0, 0, %s)", wait).isPositive();
    }
  }

  @Test
  @DisplayName("a batch is never larger than maxBatchSize nor than what is waiting, and never negative")
  void batchSizeWithinBounds() {
    for (int waiting : queueLengths()) {
      for (long bytes : byteSizes(waiting)) {
        for (long wait : waits()) {
          int size = batcher.batchSize(waiting, bytes, wait);
          assertThat(size).as("batchSize(%s, %s, %s)", waiting, bytes, wait).isBetween(0, Math.min(waiting, batcher.maxBatchSize()));
        }
      }
    }
  }

  @Test
  @DisplayName("nanosUntilDue is 0 exactly when batchSize asks for a batch, and never negative")
  void nanosUntilDueAgreesWithBatchSize() {
    for (int waiting : queueLengths()) {
      for (long bytes : byteSizes(waiting)) {
        for (long wait : waits()) {
          long due = batcher.nanosUntilDue(waiting, bytes, wait);
          int size = batcher.batchSize(waiting, bytes, wait);
          assertThat(due).as("nanosUntilDue(%s, %s, %s)", waiting, bytes, wait).isNotNegative();
          assertThat(due == 0).as("nanosUntilDue(%s, %s, %s) == 0 while batchSize is %s", waiting, bytes, wait, size)
              .isEqualTo(size > 0);
        }
      }
    }
  }

  @Test
  @DisplayName("waiting messages become due: after nanosUntilDue has passed, batchSize asks for a batch")
  void waitingMessagesBecomeDue() {
    for (int waiting : queueLengths()) {
      for (long bytes : byteSizes(waiting)) {
        for (long wait : waits()) {
          long due = batcher.nanosUntilDue(waiting, bytes, wait);
          assertThat(due).as("nanosUntilDue(%s, %s, %s) must be finite: messages may not wait for ever", waiting, bytes, wait)
              .isLessThan(Long.MAX_VALUE);
          assertThat(batcher.batchSize(waiting, bytes, saturatedAdd(wait, due)))
              .as("batchSize(%s, %s, %s + nanosUntilDue %s)", waiting, bytes, wait, due).isPositive();
        }
      }
    }
  }

  @Test
  @DisplayName("waiting longer never takes a due batch back")
  void dueStaysDue() {
    for (int waiting : queueLengths()) {
      for (long bytes : byteSizes(waiting)) {
        List<Long> waits = waits();
        for (int i = 0; i < waits.size(); i++) {
          if (batcher.batchSize(waiting, bytes, waits.get(i)) > 0) {
            for (int j = i + 1; j < waits.size(); j++) {
              assertThat(batcher.batchSize(waiting, bytes, waits.get(j))).as("batchSize(%s, %s, %s)", waiting, bytes, waits.get(j)).isPositive();
            }
          }
        }
      }
    }
  }

  @Test
  @DisplayName("a full batch by count or by bytes is due at once, whatever the wait")
  void fullIsDueAtOnce() {
    int max = batcher.maxBatchSize();
    assertThat(batcher.batchSize(max, 100L * max, 0)).as("batchSize(maxBatchSize, ..., 0)").isPositive();
    assertThat(batcher.batchSize(2, batcher.maxBatchBytes(), 0)).as("batchSize(2, maxBatchBytes, 0)").isPositive();
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }
}
