package io.webhookd.loadtest;

import io.webhookd.testkit.KafkaCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * The {@code kafka-scale} fault's two steps on the in-process cluster, both with Kafka's
 * reassignment API, as an operator scales a cluster up and down. Kafka's test kit cannot add a
 * node to a running cluster, so the cluster was started with a spare broker, stopped and holding
 * nothing until it is added.
 *
 * <ul>
 *   <li>{@link #addBroker()}: the spare starts and joins the cluster; then every partition of the
 *       run's topics is reassigned so that the new broker takes the place of the partition's leader
 *       and leads it (it copies the partition first; the replication factor stays the same).
 *   <li>{@link #removeBroker()}: a broker that was there from the start leaves: the coordinator of
 *       the subscription's consumer group (the leader of the {@code __consumer_offsets} partition
 *       holding its commits), or the lowest-id one when that is not known. Every replica it holds,
 *       internal topics included, is reassigned to a running broker that has none of the partition
 *       yet; then it is stopped (a controlled shutdown, with nothing left to lead).
 * </ul>
 *
 * Each step reports events, and its figures (brokers, partitions moved, milliseconds) go into
 * {@code figures}. Not thread-safe: one fault thread runs both steps.
 */
final class KafkaScale {
  private final KafkaCluster cluster;
  private final Set<String> topics;
  private final @Nullable String groupId;
  private final Consumer<String> events;
  private final Map<String, Object> figures;
  private int added = -1;

  KafkaScale(@Nullable KafkaCluster cluster, Set<String> topics, @Nullable String groupId, Consumer<String> events,
      Map<String, Object> figures) {
    if (cluster == null) {
      throw new IllegalStateException("kafka-scale needs the in-process cluster");
    }
    this.cluster = cluster;
    this.topics = topics;
    this.groupId = groupId;
    this.events = events;
    this.figures = figures;
  }

  /** Starts the spare broker and reassigns the run's partitions onto it, as their leader. */
  void addBroker() {
    List<Integer> ids = cluster.brokerIds();
    int spare = ids.get(ids.size() - 1); // the spares have the ids after the brokers'
    if (!cluster.stoppedBrokers().contains(spare)) {
      throw new IllegalStateException("kafka-scale: no spare broker to add (broker " + spare + " runs already)");
    }
    events.accept("kafka-scale: broker " + spare + " joining the cluster");
    long t0 = System.nanoTime();
    cluster.startBroker(spare);
    long startMs = millisSince(t0);
    added = spare;
    events.accept("broker " + spare + " running and seen by every broker (" + startMs
        + " ms); reassigning the partitions of " + topics + " onto it");
    long t1 = System.nanoTime();
    Map<TopicPartition, List<Integer>> moved = cluster.moveReplicasOnto(spare, topics);
    long reassignMs = millisSince(t1);
    events.accept("broker " + spare + " added: " + moved.size() + " partition(s) reassigned onto it, which it leads ("
        + reassignMs + " ms)");
    figures.put("added_broker", spare);
    figures.put("add_broker_start_ms", startMs);
    figures.put("add_partitions_reassigned", moved.size());
    figures.put("add_reassign_ms", reassignMs);
  }

  /** Reassigns every replica of a broker that was there from the start away from it, then stops it. */
  void removeBroker() {
    List<Integer> running = new ArrayList<>(cluster.brokerIds());
    running.removeAll(cluster.stoppedBrokers());
    running.remove(Integer.valueOf(added));
    if (running.isEmpty()) {
      throw new IllegalStateException("kafka-scale: no broker to remove besides the one added");
    }
    Optional<Integer> coordinator = coordinator().filter(running::contains);
    int leaving = coordinator.orElse(running.get(0));
    String why = coordinator.isPresent() ? "coordinator of group " + groupId : "the lowest-id original broker";
    events.accept("kafka-scale: broker " + leaving + " leaving the cluster (" + why + "): reassigning its replicas away");
    long t0 = System.nanoTime();
    Map<TopicPartition, List<Integer>> moved = cluster.moveReplicasOff(leaving);
    long reassignMs = millisSince(t0);
    long internal = moved.keySet().stream().filter(tp -> tp.topic().startsWith("__")).count();
    events.accept("broker " + leaving + " emptied: " + moved.size() + " replica(s) reassigned to other brokers ("
        + internal + " of internal topics) (" + reassignMs + " ms); stopping it");
    long t1 = System.nanoTime();
    cluster.stopBroker(leaving);
    long stopMs = millisSince(t1);
    events.accept("broker " + leaving + " removed (stopped in " + stopMs + " ms)");
    figures.put("removed_broker", leaving);
    figures.put("removed_broker_was", why);
    figures.put("remove_replicas_reassigned", moved.size());
    figures.put("remove_internal_replicas_reassigned", internal);
    figures.put("remove_reassign_ms", reassignMs);
    figures.put("remove_stop_ms", stopMs);
  }

  /** The broker coordinating the subscription's group, when the group is known and described. */
  private Optional<Integer> coordinator() {
    if (groupId == null) {
      return Optional.empty();
    }
    try {
      Node node = cluster.admin().describeConsumerGroups(List.of(groupId)).describedGroups().get(groupId)
          .get(10, TimeUnit.SECONDS).coordinator();
      return node == null || node.isEmpty() ? Optional.empty() : Optional.of(node.id());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (Exception e) {
      return Optional.empty(); // the lowest-id broker will do
    }
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }
}
