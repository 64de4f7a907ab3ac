package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.spi.Retrier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Retrier} must do: a delay for every retry number the engine may ask for (it
 * keeps asking while a subscription is unhealthy, far beyond {@code max_retries}), never negative,
 * never absurd, from any thread. A retrier's test extends this class and supplies {@link
 * #createRetrier()}; it may override {@link #maxDelay()} to have its upper bound checked.
 *
 * <pre>{@code
 * class FixedRetrierTest extends RetrierContract {
 *   protected Retrier createRetrier() { return Retrier.fixed(Duration.ofSeconds(5)); }
 * }
 * }</pre>
 */
public abstract class RetrierContract {

  /** The retrier under test: fresh for each test. */
  protected Retrier retrier;

  /** A new retrier; called once before each test. */
  protected abstract Retrier createRetrier();

  /**
   * The longest delay the retrier may give (default: a day, the longest the engine's scheduling
   * is meant for). Override with the retrier's own bound to have it checked.
   */
  protected Duration maxDelay() {
    return Duration.ofDays(1);
  }

  @BeforeEach
  void createRetrierUnderTest() {
    retrier = createRetrier();
  }

  /** Retry numbers probed: 1 to 100, then powers of two up to {@link Integer#MAX_VALUE}. */
  protected static List<Integer> retryNumbers() {
    List<Integer> out = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      out.add(i);
    }
    for (long n = 128; n < Integer.MAX_VALUE; n *= 2) {
      out.add((int) n);
    }
    out.add(Integer.MAX_VALUE);
    return out;
  }

  @Test
  @DisplayName("every retry number, up to Integer.MAX_VALUE, gets a delay that is neither null nor negative")
  void delaysAreNonNegative() {
    for (int retry : retryNumbers()) {
      Duration d = retrier.delay(retry);
      assertThat(d).as("delay(%s)", retry).isNotNull();
      assertThat(d.isNegative()).as("delay(%s) = %s is negative", retry, d).isFalse();
    }
  }

  @Test
  @DisplayName("no delay is longer than maxDelay (finite: a failing batch is always tried again)")
  void delaysAreBounded() {
    Duration max = maxDelay();
    for (int retry : retryNumbers()) {
      assertThat(retrier.delay(retry)).as("delay(%s)", retry).isLessThanOrEqualTo(max);
    }
  }

  @Test
  @DisplayName("is safe to call from several threads at once, with the same guarantees")
  void threadSafe() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<List<Duration>>> tasks = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        tasks.add(() -> {
          List<Duration> out = new ArrayList<>();
          for (int round = 0; round < 50; round++) {
            for (int retry = 1; retry <= 20; retry++) {
              out.add(retrier.delay(retry));
            }
          }
          return out;
        });
      }
      for (Future<List<Duration>> f : pool.invokeAll(tasks, 60, TimeUnit.SECONDS)) {
        for (Duration d : f.get()) {
          assertThat(d).isNotNull().isBetween(Duration.ZERO, maxDelay());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
