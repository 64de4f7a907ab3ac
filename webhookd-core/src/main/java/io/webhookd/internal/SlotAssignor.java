package io.webhookd.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * The coordination group's assignor: spreads the slots (the partitions of the slots topic) evenly
 * over the engines, each keeping the slots it had where it can, and sends every member the whole
 * {@link SlotTable}, so each engine can tell where any subscription runs ({@link Placement}).
 *
 * <p>Even: each member gets {@code slots / members} slots or one more. Sticky: a member keeps the
 * slots it owned (it states them, with the generation it owned them in, in its subscription's user
 * data, since the eager protocol revokes everything before a join); when two claim one slot (one
 * was expelled and came back), the newer generation wins. Kafka makes it by reflection from the
 * consumer's {@code partition.assignment.strategy}; {@link #ENGINE_ID_CONFIG} names the engine.
 * Called on the coordination consumer's thread only.
 */
public final class SlotAssignor implements ConsumerPartitionAssignor, Configurable {
  /** The consumer property that carries the engine id to the assignor. */
  static final String ENGINE_ID_CONFIG = "webhookd.engine.id";

  private static final short FORMAT = 1;
  /** Assignors made by consumers, until their coordinator takes them. */
  private static final Map<String, SlotAssignor> MADE = new ConcurrentHashMap<>();

  private String engineId = "";
  private volatile List<Integer> owned = List.of();
  private volatile int generation = -1;
  private volatile @Nullable SlotTable table;

  /** Kafka's reflection needs it. */
  public SlotAssignor() {}

  @Override
  public void configure(Map<String, ?> configs) {
    Object id = configs.get(ENGINE_ID_CONFIG);
    if (id == null) {
      throw new IllegalArgumentException(ENGINE_ID_CONFIG + " is required");
    }
    engineId = String.valueOf(id);
    MADE.put(engineId, this);
  }

  /** The assignor the consumer of {@code engineId} made, once. */
  static @Nullable SlotAssignor take(String engineId) {
    return MADE.remove(engineId);
  }

  @Override
  public String name() {
    return "webhookd-slots";
  }

  /** The table of the last assignment, or null before the first. */
  @Nullable SlotTable table() {
    return table;
  }

  @Override
  public ByteBuffer subscriptionUserData(Set<String> topics) {
    return new Claim(engineId, generation, owned).encode();
  }

  @Override
  public void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
    List<Integer> mine = new ArrayList<>();
    for (TopicPartition tp : assignment.partitions()) {
      mine.add(tp.partition());
    }
    owned = List.copyOf(mine);
    generation = metadata.generationId();
    ByteBuffer data = assignment.userData();
    table = data == null || !data.hasRemaining() ? null : SlotTable.decode(data);
  }

  @Override
  public GroupAssignment assign(Cluster metadata, GroupSubscription groupSubscription) {
    Map<String, Subscription> members = groupSubscription.groupSubscription();
    String topic = members.values().stream().flatMap(s -> s.topics().stream()).sorted().findFirst().orElse(null);
    Integer count = topic == null ? null : metadata.partitionCountForTopic(topic);
    Map<String, Assignment> result = new HashMap<>();
    if (count == null || count == 0) {
      members.keySet().forEach(m -> result.put(m, new Assignment(List.of())));
      return new GroupAssignment(result);
    }
    SortedMap<String, Claim> claims = new TreeMap<>();
    members.forEach((member, s) -> claims.put(member, Claim.decode(member, s.userData())));
    Map<String, List<Integer>> slots = balance(count, claims);
    int nextGeneration = claims.values().stream().mapToInt(Claim::generation).max().orElse(-1) + 1;
    String[] owners = new String[count];
    slots.forEach((member, mine) -> mine.forEach(i -> owners[i] = claims.get(member).engineId()));
    ByteBuffer table = new SlotTable(nextGeneration, Arrays.asList(owners)).encode();
    slots.forEach((member, mine) -> {
      List<TopicPartition> parts = new ArrayList<>();
      mine.forEach(i -> parts.add(new TopicPartition(topic, i)));
      result.put(member, new Assignment(parts, table.duplicate()));
    });
    return new GroupAssignment(result);
  }

  /** What a member states when it joins: its engine, and the slots it owned in which generation. */
  record Claim(String engineId, int generation, List<Integer> owned) {
    Claim {
      owned = List.copyOf(owned);
    }

    ByteBuffer encode() {
      byte[] id = engineId.getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(2 + 2 + id.length + 4 + 4 + 4 * owned.size());
      b.putShort(FORMAT).putShort((short) id.length).put(id).putInt(generation).putInt(owned.size());
      owned.forEach(b::putInt);
      return b.flip();
    }

    /** A member's claim; one without (another assignor's member, or none) claims nothing. */
    static Claim decode(String member, @Nullable ByteBuffer data) {
      if (data == null || data.remaining() < 2) {
        return new Claim(member, -1, List.of());
      }
      ByteBuffer b = data.duplicate();
      if (b.getShort() != FORMAT) {
        return new Claim(member, -1, List.of());
      }
      byte[] id = new byte[b.getShort()];
      b.get(id);
      int generation = b.getInt();
      int n = b.getInt();
      List<Integer> owned = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        owned.add(b.getInt());
      }
      return new Claim(new String(id, StandardCharsets.UTF_8), generation, owned);
    }
  }

  /**
   * Spreads {@code slots} over the members: each gets {@code slots / n} or one more, keeps what it
   * claimed where that allows (of two claims of one slot the newer generation wins, then the
   * smaller member id), and the rest go to those below their share. Deterministic.
   *
   * @return the slots of each member, ascending
   */
  static Map<String, List<Integer>> balance(int slots, SortedMap<String, Claim> claims) {
    Map<String, List<Integer>> kept = new TreeMap<>();
    claims.keySet().forEach(m -> kept.put(m, new ArrayList<>()));
    if (claims.isEmpty()) {
      return kept;
    }
    String[] winner = new String[slots];
    int[] winnerGeneration = new int[slots];
    for (Map.Entry<String, Claim> e : claims.entrySet()) {
      for (int slot : e.getValue().owned()) {
        if (slot < 0 || slot >= slots) {
          continue;
        }
        // members in ascending id order: a later one wins only with a newer generation
        if (winner[slot] == null || e.getValue().generation() > winnerGeneration[slot]) {
          winner[slot] = e.getKey();
          winnerGeneration[slot] = e.getValue().generation();
        }
      }
    }
    for (int i = 0; i < slots; i++) {
      if (winner[i] != null) {
        kept.get(winner[i]).add(i);
      }
    }
    int n = claims.size();
    int floor = slots / n;
    int extra = slots % n;
    // the members keeping the most get the shares of floor + 1, so fewer slots move
    List<String> byKept = new ArrayList<>(claims.keySet());
    byKept.sort(Comparator.comparingInt((String m) -> -kept.get(m).size()).thenComparing(m -> m));
    Map<String, Integer> quota = new HashMap<>();
    for (int i = 0; i < byKept.size(); i++) {
      quota.put(byKept.get(i), floor + (i < extra ? 1 : 0));
    }
    boolean[] taken = new boolean[slots];
    for (Map.Entry<String, List<Integer>> e : kept.entrySet()) {
      List<Integer> mine = e.getValue();
      int q = quota.get(e.getKey());
      while (mine.size() > q) {
        mine.remove(mine.size() - 1);
      }
      mine.forEach(i -> taken[i] = true);
    }
    int next = 0;
    for (Map.Entry<String, List<Integer>> e : kept.entrySet()) {
      List<Integer> mine = e.getValue();
      int q = quota.get(e.getKey());
      while (mine.size() < q) {
        while (taken[next]) {
          next++;
        }
        taken[next] = true;
        mine.add(next);
      }
      mine.sort(null);
    }
    return kept;
  }
}
