package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A request that outlives its batch's tracking holds its partitions until it answers or its deadline passes. */
class FencesTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);
  private final Fences fences = new Fences("sub");

  @Test
  @DisplayName("a request still tracked by its runner fences nothing; given up while open, it fences its partitions until it answers")
  void fencesWhileOpenAfterGivingUp() {
    AtomicInteger woken = new AtomicInteger();
    Runnable wake = woken::incrementAndGet;
    fences.onRelease(wake);
    Fences.Request r = fences.opened(List.of(P0, P1), 1_000);
    assertThat(fences.blocks(P0, 0)).isFalse();
    fences.giveUp(r);
    assertThat(fences.blocks(P0, 0)).isTrue();
    assertThat(fences.blocks(P1, 0)).isTrue();
    assertThat(fences.blocks(new TopicPartition("t", 2), 0)).isFalse();
    assertThat(fences.nextDeadline(0)).isEqualTo(1_000);
    fences.answered(r);
    assertThat(fences.blocks(P0, 0)).isFalse();
    assertThat(fences.blocks(P1, 0)).isFalse();
    assertThat(fences.size()).isZero();
    assertThat(woken).hasValue(1);
    fences.clearOnRelease(wake);
  }

  @Test
  @DisplayName("giving up on a request that answered already fences nothing")
  void answeredFirst() {
    Fences.Request r = fences.opened(List.of(P0), 1_000);
    fences.answered(r);
    fences.giveUp(r);
    assertThat(fences.blocks(P0, 0)).isFalse();
    assertThat(fences.nextDeadline(0)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  @DisplayName("a fence lapses at its deadline (a destination that never answers cannot hold a partition for ever)")
  void lapsesAtTheDeadline() {
    Fences.Request r = fences.opened(List.of(P0, P1), 1_000);
    fences.giveUp(r);
    assertThat(fences.blocks(P0, 999)).isTrue();
    assertThat(fences.blocks(P0, 1_000)).isFalse();
    assertThat(fences.blocks(P1, 1_000)).isFalse();
    assertThat(fences.size()).isZero();
  }

  @Test
  @DisplayName("a later runner's wake-up is not cleared by an earlier runner that stops late")
  void clearOnlyOwnWakeUp() {
    AtomicInteger first = new AtomicInteger();
    AtomicInteger second = new AtomicInteger();
    Runnable a = first::incrementAndGet;
    Runnable b = second::incrementAndGet;
    fences.onRelease(a);
    fences.onRelease(b);
    fences.clearOnRelease(a);
    Fences.Request r = fences.opened(List.of(P0), 1_000);
    fences.giveUp(r);
    fences.answered(r);
    assertThat(first).hasValue(0);
    assertThat(second).hasValue(1);
  }
}
