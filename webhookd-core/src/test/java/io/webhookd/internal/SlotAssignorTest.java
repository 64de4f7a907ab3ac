package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.internal.SlotAssignor.Claim;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupAssignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SlotAssignorTest {
  private static final int SLOTS = 64;

  private static SortedMap<String, Claim> fresh(String... members) {
    SortedMap<String, Claim> claims = new TreeMap<>();
    for (String m : members) {
      claims.put(m, new Claim(m, -1, List.of()));
    }
    return claims;
  }

  /** Each member claims what it got, in generation {@code generation}. */
  private static SortedMap<String, Claim> claims(Map<String, List<Integer>> owned, int generation) {
    SortedMap<String, Claim> claims = new TreeMap<>();
    owned.forEach((m, slots) -> claims.put(m, new Claim(m, generation, slots)));
    return claims;
  }

  private static void assertEvenAndComplete(Map<String, List<Integer>> assigned, int members) {
    Set<Integer> seen = new HashSet<>();
    for (List<Integer> mine : assigned.values()) {
      assertThat(mine.size()).isBetween(SLOTS / members, SLOTS / members + 1);
      for (int slot : mine) {
        assertThat(seen.add(slot)).as("slot %d assigned twice", slot).isTrue();
      }
    }
    assertThat(seen).hasSize(SLOTS);
  }

  private static int moved(Map<String, List<Integer>> before, Map<String, List<Integer>> after) {
    int moved = 0;
    for (Map.Entry<String, List<Integer>> e : after.entrySet()) {
      Set<Integer> had = new HashSet<>(before.getOrDefault(e.getKey(), List.of()));
      for (int slot : e.getValue()) {
        if (!had.contains(slot)) {
          moved++;
        }
      }
    }
    return moved;
  }

  @Test
  @DisplayName("every slot goes to exactly one member, each member getting slots / members or one more")
  void balanced() {
    for (int n = 1; n <= 10; n++) {
      String[] members = new String[n];
      for (int i = 0; i < n; i++) {
        members[i] = "engine-" + i;
      }
      assertEvenAndComplete(SlotAssignor.balance(SLOTS, fresh(members)), n);
    }
  }

  @Test
  @DisplayName("a member that joins takes only its share; the others keep the rest of what they had")
  void stickyWhenAMemberJoins() {
    Map<String, List<Integer>> three = SlotAssignor.balance(SLOTS, fresh("a", "b", "c"));
    SortedMap<String, Claim> claims = claims(three, 1);
    claims.put("d", new Claim("d", -1, List.of()));
    Map<String, List<Integer>> four = SlotAssignor.balance(SLOTS, claims);
    assertEvenAndComplete(four, 4);
    assertThat(four.get("d")).hasSize(16);
    assertThat(moved(three, four)).isEqualTo(16);
    for (String m : List.of("a", "b", "c")) {
      assertThat(three.get(m)).containsAll(four.get(m));
    }
  }

  @Test
  @DisplayName("a member that leaves: only its slots move, spread over the others")
  void stickyWhenAMemberLeaves() {
    Map<String, List<Integer>> three = SlotAssignor.balance(SLOTS, fresh("a", "b", "c"));
    Map<String, List<Integer>> left = new HashMap<>(three);
    left.remove("b");
    Map<String, List<Integer>> two = SlotAssignor.balance(SLOTS, claims(left, 1));
    assertEvenAndComplete(two, 2);
    assertThat(two.get("a")).containsAll(three.get("a"));
    assertThat(two.get("c")).containsAll(three.get("c"));
    assertThat(moved(left, two)).isEqualTo(three.get("b").size());
  }

  @Test
  @DisplayName("of two claims of one slot the newer generation wins (a member expelled and back claims old slots)")
  void newerClaimWins() {
    SortedMap<String, Claim> claims = new TreeMap<>();
    claims.put("a", new Claim("a", 3, List.of(0, 1, 2, 3)));
    claims.put("b", new Claim("b", 5, List.of(2, 3, 4, 5)));
    Map<String, List<Integer>> assigned = SlotAssignor.balance(8, claims);
    assertThat(assigned.get("b")).containsExactly(2, 3, 4, 5);
    assertThat(assigned.get("a")).containsExactly(0, 1, 6, 7);
  }

  @Test
  @DisplayName("through Kafka's interface: each member gets its slots as partitions and the same table of every slot's engine")
  void assignsThroughKafkasInterface() {
    String topic = "webhookd.slots";
    Node node = new Node(0, "localhost", 9092);
    List<PartitionInfo> parts = new ArrayList<>();
    for (int i = 0; i < SLOTS; i++) {
      parts.add(new PartitionInfo(topic, i, node, new Node[] {node}, new Node[] {node}));
    }
    Cluster cluster = new Cluster("c", List.of(node), parts, Set.of(), Set.of());
    Map<String, SlotAssignor> engines = new TreeMap<>();
    Map<String, Subscription> members = new HashMap<>();
    for (String e : List.of("engine-a", "engine-b", "engine-c")) {
      SlotAssignor a = new SlotAssignor();
      a.configure(Map.of(SlotAssignor.ENGINE_ID_CONFIG, e));
      SlotAssignor.take(e);
      engines.put(e, a);
      members.put("member-" + e, new Subscription(List.of(topic), a.subscriptionUserData(Set.of(topic))));
    }
    GroupAssignment result = engines.get("engine-a").assign(cluster, new GroupSubscription(members));
    SlotTable first = null;
    for (Map.Entry<String, SlotAssignor> e : engines.entrySet()) {
      Assignment mine = result.groupAssignment().get("member-" + e.getKey());
      e.getValue().onAssignment(mine, new ConsumerGroupMetadata("webhookd-engines", 1, "member-" + e.getKey(), java.util.Optional.empty()));
      SlotTable t = e.getValue().table();
      assertThat(t).isNotNull();
      assertThat(t.slotsOf(e.getKey())).isEqualTo(mine.partitions().stream().map(TopicPartition::partition).sorted().toList());
      if (first == null) {
        first = t;
      }
      assertThat(t).isEqualTo(first);
    }
    assertThat(first.engines()).containsExactly("engine-a", "engine-b", "engine-c");
    // the next join states what each owned, so the same members keep the same slots
    Map<String, Subscription> again = new HashMap<>();
    engines.forEach((e, a) -> again.put("member2-" + e, new Subscription(List.of(topic), a.subscriptionUserData(Set.of(topic)))));
    GroupAssignment second = engines.get("engine-b").assign(cluster, new GroupSubscription(again));
    SlotTable t2 = SlotTable.decode(second.groupAssignment().get("member2-engine-a").userData());
    assertThat(t2.owners()).isEqualTo(first.owners());
  }

  @Test
  @DisplayName("the table survives its encoding")
  void tableRoundTrips() {
    SlotTable t = new SlotTable(7, List.of("x", "y", "x", "zé"));
    ByteBuffer b = t.encode();
    assertThat(SlotTable.decode(b)).isEqualTo(t);
  }

  // ------------------------------------------------------------------ placement

  private static SlotTable table(int engines, long seed) {
    SortedMap<String, Claim> claims = new TreeMap<>();
    for (int i = 0; i < engines; i++) {
      claims.put("m" + i, new Claim("engine-" + i, -1, List.of()));
    }
    String[] owners = new String[SLOTS];
    SlotAssignor.balance(SLOTS, claims).forEach((m, slots) -> slots.forEach(s -> owners[s] = claims.get(m).engineId()));
    return new SlotTable(1, List.of(owners));
  }

  private static List<Placement.Item> items(int count, int parallelism, Random random) {
    List<Placement.Item> items = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      items.add(new Placement.Item(new UUID(random.nextLong(), random.nextLong()).toString(), parallelism));
    }
    return items;
  }

  private static Map<String, Integer> load(Map<String, List<String>> placed) {
    Map<String, Integer> load = new TreeMap<>();
    placed.values().forEach(es -> es.forEach(e -> load.merge(e, 1, Integer::sum)));
    return load;
  }

  @Test
  @DisplayName("placement: 60 subscriptions over 3 engines, each runs 20 ± 20%, whatever the ids")
  void placementIsBalanced() {
    Random random = new Random(16);
    for (int round = 0; round < 200; round++) {
      Map<String, List<String>> placed = Placement.place(table(3, round), items(60, 1, random));
      assertThat(placed).hasSize(60);
      assertThat(placed.values()).allSatisfy(es -> assertThat(es).hasSize(1));
      assertThat(load(placed).values()).hasSize(3).allSatisfy(n -> assertThat(n).isBetween(16, 24));
    }
  }

  @Test
  @DisplayName("placement: parallelism p runs on p distinct engines, or on every engine when there are fewer")
  void parallelismSpreadsOverDistinctEngines() {
    Random random = new Random(17);
    SlotTable five = table(5, 0);
    for (int p = 1; p <= 7; p++) {
      Map<String, List<String>> placed = Placement.place(five, items(40, p, random));
      int want = Math.min(p, 5);
      assertThat(placed.values()).allSatisfy(es -> assertThat(new HashSet<>(es)).hasSize(want));
    }
    Map<String, List<String>> mixed = new HashMap<>();
    List<Placement.Item> some = new ArrayList<>(items(30, 1, random));
    some.addAll(items(30, 2, random));
    mixed.putAll(Placement.place(table(3, 0), some));
    int total = load(mixed).values().stream().mapToInt(Integer::intValue).sum();
    assertThat(total).isEqualTo(90);
    assertThat(load(mixed).values()).allSatisfy(n -> assertThat(n).isBetween(24, 36));
  }

  @Test
  @DisplayName("placement: every engine computes the same from the same table and subscriptions, in any order")
  void placementIsDeterministic() {
    Random random = new Random(18);
    List<Placement.Item> items = items(100, 1, random);
    List<Placement.Item> shuffled = new ArrayList<>(items);
    java.util.Collections.shuffle(shuffled, random);
    assertThat(Placement.place(table(4, 0), shuffled)).isEqualTo(Placement.place(table(4, 0), items));
  }

  @Test
  @DisplayName("placement: a new subscription moves few others; an engine that leaves moves only about its own share")
  void placementIsStable() {
    Random random = new Random(19);
    List<Placement.Item> items = items(300, 1, random);
    SlotTable three = table(3, 0);
    Map<String, List<String>> before = Placement.place(three, items);
    List<Placement.Item> more = new ArrayList<>(items);
    more.addAll(items(1, 1, random));
    Map<String, List<String>> after = Placement.place(three, more);
    long movedByAdd = items.stream().filter(i -> !before.get(i.id()).equals(after.get(i.id()))).count();
    assertThat(movedByAdd).isLessThanOrEqualTo(10);

    // engine-1 leaves: its slots go to the others (as the assignor does), the rest stay
    List<String> owners = new ArrayList<>(three.owners());
    int k = 0;
    for (int i = 0; i < owners.size(); i++) {
      if (owners.get(i).equals("engine-1")) {
        owners.set(i, k++ % 2 == 0 ? "engine-0" : "engine-2");
      }
    }
    Map<String, List<String>> two = Placement.place(new SlotTable(2, owners), items);
    long onOne = before.values().stream().filter(es -> es.contains("engine-1")).count();
    long moved = items.stream().filter(i -> !before.get(i.id()).equals(two.get(i.id()))).count();
    assertThat(moved).isLessThanOrEqualTo(onOne + 30);
    assertThat(two.values()).allSatisfy(es -> assertThat(es).doesNotContain("engine-1"));
  }
}
