package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OffsetSetTest {
  @Test
  @DisplayName("behaves as a sorted set of offsets over random adds, removes, trims and rewinds (seeded)")
  void behavesAsASortedSet() {
    for (int seed = 0; seed < 200; seed++) {
      Random rnd = new Random(seed);
      OffsetSet set = new OffsetSet();
      TreeSet<Long> model = new TreeSet<>();
      long next = rnd.nextInt(1000);
      for (int step = 0; step < 2000; step++) {
        int a = rnd.nextInt(20);
        if (a < 8) {
          next += 1 + (rnd.nextInt(10) == 0 ? rnd.nextInt(rnd.nextBoolean() ? 500 : 20_000) : 0);
          set.add(next);
          model.add(next);
        } else if (a < 15 && !model.isEmpty()) {
          long o = rnd.nextBoolean() ? model.first() + rnd.nextInt(200) : next - rnd.nextInt(200);
          set.remove(o);
          model.remove(o);
        } else if (a < 17) {
          long o = next - rnd.nextInt(300);
          set.removeBelow(o);
          model.headSet(o).clear();
        } else if (a < 18) {
          long o = next - rnd.nextInt(300);
          set.removeFrom(o);
          model.tailSet(o).clear();
          next = Math.max(0, o - 1);
        } else {
          long o = Math.max(0, next - rnd.nextInt(1000)); // read again below what is set
          set.add(o);
          model.add(o);
        }
        assertThat(set.size()).as("seed %d step %d", seed, step).isEqualTo(model.size());
        assertThat(set.first()).as("seed %d step %d", seed, step).isEqualTo(model.isEmpty() ? -1 : model.first());
        long probe = next - rnd.nextInt(100);
        assertThat(set.contains(probe)).as("seed %d step %d: %d", seed, step, probe).isEqualTo(model.contains(probe));
      }
    }
  }

  @Test
  @DisplayName("a gap of billions of offsets (a compacted log) costs two chunks, and the lowest offset stays first")
  void hugeGapsCostNothing() {
    OffsetSet set = new OffsetSet();
    set.add(100);
    set.add(5_000_000_123L);
    set.add(5_000_000_124L);
    assertThat(set.first()).isEqualTo(100);
    assertThat(set.size()).isEqualTo(3);
    set.remove(100);
    assertThat(set.first()).isEqualTo(5_000_000_123L);
    set.removeBelow(5_000_000_124L);
    assertThat(set.first()).isEqualTo(5_000_000_124L);
    set.removeFrom(5_000_000_124L);
    assertThat(set.size()).isZero();
    assertThat(set.first()).isEqualTo(-1);
  }
}
