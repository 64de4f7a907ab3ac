package io.webhookd.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Utils;

/**
 * Where each subscription runs, given the slot table: computed alike by every engine from the same
 * table and the same subscriptions (the store's), so no engine has to tell another.
 *
 * <p>A subscription hashes to a slot; it runs on the owner of that slot, and, when its parallelism
 * {@code p} is above 1, on the owners of the next slots until it has {@code p} distinct engines (or
 * every engine). Hashing alone leaves engines uneven by chance (60 subscriptions over 3 engines:
 * often 14 and 26), so the load is bounded: no engine takes more than {@link #SLACK} above its
 * even share; a subscription whose engine is full goes on to the next slot's owner ("consistent
 * hashing with bounded loads"). With {@code n} engines and {@code D} placements each engine runs
 * at most {@code ceil(D / n * 1.1)} and so at least {@code D - (n - 1)} times that: within 20% of
 * even for 3 engines. Subscriptions are placed in the order of their hash, so adding or removing
 * one moves few others.
 */
final class Placement {
  /** How far above an even share an engine may be loaded. */
  static final double SLACK = 0.10;

  private Placement() {}

  /** A subscription to place: its id and {@code configuration.parallelism}. */
  record Item(String id, int parallelism) {}

  /** The slot a subscription id hashes to. */
  static int slotOf(String id, int slots) {
    return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % slots;
  }

  /** The engines of each subscription, in the order chosen; empty without engines. */
  static Map<String, List<String>> place(SlotTable table, List<Item> items) {
    Map<String, List<String>> placed = new HashMap<>();
    List<String> engines = table.engines();
    int n = engines.size();
    if (n == 0 || items.isEmpty()) {
      return placed;
    }
    int slots = table.slots();
    long demand = 0;
    for (Item i : items) {
      demand += Math.min(Math.max(1, i.parallelism()), n);
    }
    long cap = Math.max((demand + n - 1) / n, (long) Math.floor(demand * (1 + SLACK) / n));
    Map<String, Integer> load = new HashMap<>();
    engines.forEach(e -> load.put(e, 0));
    List<Item> ordered = new ArrayList<>(items);
    ordered.sort(Comparator.comparingInt((Item i) -> slotOf(i.id(), slots)).thenComparing(Item::id));
    for (Item item : ordered) {
      int want = Math.min(Math.max(1, item.parallelism()), n);
      List<String> chosen = new ArrayList<>(want);
      int start = slotOf(item.id(), slots);
      for (int k = 0; k < slots && chosen.size() < want; k++) {
        String e = table.owner((start + k) % slots);
        if (!chosen.contains(e) && load.get(e) < cap) {
          chosen.add(e);
          load.merge(e, 1, Integer::sum);
        }
      }
      if (chosen.size() < want) {
        // every engine it may still take is full: the least loaded ones
        List<String> rest = new ArrayList<>(engines);
        rest.removeAll(chosen);
        rest.sort(Comparator.comparingInt((String e) -> load.get(e)).thenComparing(e -> e));
        for (String e : rest.subList(0, want - chosen.size())) {
          chosen.add(e);
          load.merge(e, 1, Integer::sum);
        }
      }
      placed.put(item.id(), List.copyOf(chosen));
    }
    return placed;
  }
}
