package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.internals.KafkaFutureImpl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FedConsumerTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);

  private final Map<TopicPartition, Long> ends = new ConcurrentHashMap<>();
  private final List<Map<TopicPartition, OffsetAndMetadata>> commits = new ArrayList<>();
  private final AtomicInteger detaches = new AtomicInteger();
  private KafkaFutureImpl<Void> nextCommit;
  private Duration commitEvery = Duration.ZERO;

  private FedConsumer consumer(int maxQueued) {
    return new FedConsumer(Map.of(P0, 10L, P1, 5L), ends, offsets -> {
      commits.add(offsets);
      if (nextCommit != null) {
        return nextCommit;
      }
      return KafkaFuture.completedFuture(null);
    }, commitEvery, maxQueued, 1 << 20, detaches::incrementAndGet);
  }

  private static ConsumerRecord<byte[], byte[]> record(TopicPartition tp, long offset) {
    return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, ("{\"o\":" + offset + "}").getBytes(StandardCharsets.UTF_8));
  }

  private static List<Long> offsets(ConsumerRecords<byte[], byte[]> records, TopicPartition tp) {
    return records.records(tp).stream().map(ConsumerRecord::offset).toList();
  }

  private static final class Assigned implements ConsumerRebalanceListener {
    final List<Collection<TopicPartition>> calls = new ArrayList<>();

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      calls.add(partitions);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}
  }

  @Test
  @DisplayName("the first poll assigns every partition, with the start positions as committed offsets; records before them are not handed out")
  void assignsAndHandsOutFromTheStartPositions() {
    FedConsumer c = consumer(100);
    Assigned listener = new Assigned();
    c.subscribe(List.of("t"), listener);
    assertThat(c.offer(record(P0, 9))).isTrue();
    assertThat(c.offer(record(P0, 10))).isTrue();
    assertThat(c.offer(record(P0, 11))).isTrue();
    assertThat(c.offer(record(P1, 5))).isTrue();
    assertThat(c.offer(record(P0, 11))).as("a record read again").isTrue();

    ConsumerRecords<byte[], byte[]> got = c.poll(Duration.ZERO);
    assertThat(listener.calls).hasSize(1);
    assertThat(listener.calls.get(0)).containsExactlyInAnyOrder(P0, P1);
    assertThat(c.committed(Set.of(P0, P1), Duration.ZERO)).containsEntry(P0, new OffsetAndMetadata(10)).containsEntry(P1, new OffsetAndMetadata(5));
    assertThat(offsets(got, P0)).containsExactly(10L, 11L);
    assertThat(offsets(got, P1)).containsExactly(5L);
    assertThat(c.position(P0, Duration.ZERO)).isEqualTo(12);
    assertThat(c.poll(Duration.ZERO).isEmpty()).isTrue();
    assertThat(listener.calls).hasSize(1);
  }

  @Test
  @DisplayName("the lag is the reader's end offset minus the position; unknown until the reader saw the partition's end")
  void lagFromTheReadersEnds() {
    FedConsumer c = consumer(100);
    assertThat(c.currentLag(P0)).isEqualTo(OptionalLong.empty());
    ends.put(P0, 15L);
    assertThat(c.currentLag(P0)).isEqualTo(OptionalLong.of(5));
    c.offer(record(P0, 10));
    c.poll(Duration.ZERO);
    assertThat(c.currentLag(P0)).isEqualTo(OptionalLong.of(4));
  }

  @Test
  @DisplayName("a paused partition's records wait until it is resumed; the others go on")
  void pausedPartitionsWait() {
    FedConsumer c = consumer(100);
    c.pause(List.of(P0));
    c.offer(record(P0, 10));
    c.offer(record(P1, 5));
    ConsumerRecords<byte[], byte[]> got = c.poll(Duration.ZERO);
    assertThat(offsets(got, P0)).isEmpty();
    assertThat(offsets(got, P1)).containsExactly(5L);
    assertThat(c.paused()).containsExactly(P0);
    c.resume(List.of(P0));
    assertThat(offsets(c.poll(Duration.ZERO), P0)).containsExactly(10L);
  }

  @Test
  @DisplayName("a seek behind the position detaches it (nothing is kept to read again); a seek ahead drops what lies before")
  void seekBackDetaches() {
    FedConsumer c = consumer(100);
    c.offer(record(P0, 10));
    c.offer(record(P0, 11));
    c.offer(record(P0, 12));
    c.seek(P0, 12);
    assertThat(offsets(c.poll(Duration.ZERO), P0)).containsExactly(12L);
    assertThat(detaches).hasValue(0);

    c.seek(P0, 11);
    assertThat(detaches).hasValue(1);
    assertThat(c.detached()).isTrue();
    assertThat(c.offer(record(P0, 13))).as("the reader forgets a detached consumer").isFalse();
    assertThat(c.poll(Duration.ZERO).isEmpty()).isTrue();
    c.detach();
    assertThat(detaches).as("detaching is done once").hasValue(1);
  }

  @Test
  @DisplayName("a runner that does not keep up: past maxQueued records the consumer detaches and holds nothing more")
  void aBacklogAboveTheBoundDetaches() {
    FedConsumer c = consumer(3);
    for (long o = 10; o < 13; o++) {
      assertThat(c.offer(record(P0, o))).isTrue();
    }
    assertThat(detaches).hasValue(0);
    assertThat(c.offer(record(P0, 13))).isFalse();
    assertThat(detaches).hasValue(1);
    assertThat(c.poll(Duration.ZERO).isEmpty()).as("what was queued is dropped: the own consumer reads it again from the commit").isTrue();
  }

  @Test
  @DisplayName("an asynchronous commit's callback runs inside poll, on the runner's thread, and a failure reaches it")
  void commitCallbacksRunInPoll() {
    FedConsumer c = consumer(100);
    AtomicReference<Thread> calledOn = new AtomicReference<>();
    AtomicReference<Exception> error = new AtomicReference<>(new Exception("not called"));
    nextCommit = new KafkaFutureImpl<>();
    c.commitAsync(Map.of(P0, new OffsetAndMetadata(11)), (offsets, e) -> {
      calledOn.set(Thread.currentThread());
      error.set(e);
    });
    assertThat(commits).containsExactly(Map.of(P0, new OffsetAndMetadata(11)));
    Thread other = new Thread(() -> nextCommit.complete(null));
    other.start();
    assertThat(c.poll(Duration.ofSeconds(10)).isEmpty()).isTrue();
    assertThat(calledOn.get()).isSameAs(Thread.currentThread());
    assertThat(error.get()).isNull();
    assertThat(c.committed(Set.of(P0), Duration.ZERO)).containsEntry(P0, new OffsetAndMetadata(11));

    nextCommit = new KafkaFutureImpl<>();
    nextCommit.completeExceptionally(new org.apache.kafka.common.errors.RebalanceInProgressException("group has members"));
    c.commitAsync(Map.of(P0, new OffsetAndMetadata(12)), (offsets, e) -> error.set(e));
    c.poll(Duration.ZERO);
    assertThat(error.get()).hasMessageContaining("group has members");
    assertThat(c.committed(Set.of(P0), Duration.ZERO)).containsEntry(P0, new OffsetAndMetadata(11));
    assertThatThrownBy(() -> c.commitSync(Map.of(P0, new OffsetAndMetadata(12)), Duration.ofSeconds(1)))
        .hasMessageContaining("group has members");
  }

  @Test
  @DisplayName("wakeup ends a waiting poll with a WakeupException; a record offered from another thread ends it with the record")
  void wakeupAndOfferEndAWait() throws Exception {
    FedConsumer c = consumer(100);
    Thread waker = new Thread(c::wakeup);
    waker.start();
    assertThatThrownBy(() -> c.poll(Duration.ofSeconds(30))).isInstanceOf(WakeupException.class);
    waker.join();
    Thread feeder = new Thread(() -> c.offer(record(P1, 5)));
    feeder.start();
    ConsumerRecords<byte[], byte[]> got = ConsumerRecords.empty();
    for (int i = 0; i < 10 && got.isEmpty(); i++) {
      got = c.poll(Duration.ofSeconds(30));
    }
    assertThat(offsets(got, P1)).containsExactly(5L);
  }

  @Test
  @DisplayName("the reader's position moving past markers moves an empty partition's position too, never a busy one's")
  void advancePastMarkers() {
    FedConsumer c = consumer(100);
    c.advance(P0, 14);
    assertThat(c.position(P0, Duration.ZERO)).isEqualTo(14);
    c.offer(record(P1, 5));
    c.advance(P1, 8);
    assertThat(c.position(P1, Duration.ZERO)).isEqualTo(5);
    assertThat(offsets(c.poll(Duration.ZERO), P1)).containsExactly(5L);
    assertThat(c.offer(record(P1, 6))).isTrue();
    assertThat(c.poll(Duration.ZERO).isEmpty()).as("offset 6 lies before where the reader moved on to").isTrue();
    c.advance(P1, 8);
    assertThat(c.position(P1, Duration.ZERO)).as("drained: at the reader's position, so the lag can reach 0").isEqualTo(8);
  }

  @Test
  @DisplayName("asynchronous commits are coalesced: one out at a time, at most one per interval, the highest offsets; every caller's callback gets the outcome")
  void commitsAreCoalesced() {
    commitEvery = Duration.ofHours(1);
    FedConsumer c = consumer(100);
    nextCommit = new KafkaFutureImpl<>();
    List<String> outcomes = new ArrayList<>();
    c.commitAsync(Map.of(P0, new OffsetAndMetadata(11)), (o, e) -> outcomes.add("first " + o.get(P0).offset()));
    assertThat(commits).containsExactly(Map.of(P0, new OffsetAndMetadata(11)));
    c.commitAsync(Map.of(P0, new OffsetAndMetadata(12)), (o, e) -> outcomes.add("second " + o.get(P0).offset()));
    c.commitAsync(Map.of(P0, new OffsetAndMetadata(13), P1, new OffsetAndMetadata(6)), (o, e) -> outcomes.add("third " + o.get(P0).offset()));
    assertThat(commits).as("one commit out at a time").hasSize(1);
    nextCommit.complete(null);
    c.poll(Duration.ZERO);
    assertThat(outcomes).containsExactly("first 11");
    assertThat(commits).as("the interval has not passed").hasSize(1);

    commitEvery = Duration.ZERO;
    FedConsumer d = consumer(100);
    nextCommit = new KafkaFutureImpl<>();
    d.commitAsync(Map.of(P0, new OffsetAndMetadata(11)), (o, e) -> outcomes.add("d first"));
    d.commitAsync(Map.of(P0, new OffsetAndMetadata(12)), (o, e) -> outcomes.add("d second " + o.get(P0).offset()));
    d.commitAsync(Map.of(P0, new OffsetAndMetadata(13), P1, new OffsetAndMetadata(6)), (o, e) -> outcomes.add("d third " + o.get(P1).offset()));
    nextCommit.complete(null);
    nextCommit = null;
    d.poll(Duration.ZERO);
    d.poll(Duration.ZERO);
    assertThat(commits.subList(1, commits.size())).containsExactly(
        Map.of(P0, new OffsetAndMetadata(11)), Map.of(P0, new OffsetAndMetadata(13), P1, new OffsetAndMetadata(6)));
    assertThat(outcomes).containsExactly("first 11", "d first", "d second 13", "d third 6");
    assertThat(d.committed(Set.of(P0, P1), Duration.ZERO)).containsEntry(P0, new OffsetAndMetadata(13)).containsEntry(P1, new OffsetAndMetadata(6));
  }

  @Test
  @DisplayName("a synchronous commit (a runner stopping) carries the asynchronous offsets still waiting for their interval, and their callbacks hear of it")
  void commitSyncCarriesWaitingCommits() {
    commitEvery = Duration.ofHours(1);
    FedConsumer c = consumer(100);
    List<String> outcomes = new ArrayList<>();
    c.commitAsync(Map.of(P0, new OffsetAndMetadata(11)), (o, e) -> outcomes.add("first " + e));
    c.commitAsync(Map.of(P0, new OffsetAndMetadata(14), P1, new OffsetAndMetadata(7)), (o, e) -> outcomes.add("waiting " + e));
    assertThat(commits).hasSize(1);
    c.commitSync(Map.of(P0, new OffsetAndMetadata(12)), Duration.ofSeconds(5));
    assertThat(commits.get(1)).isEqualTo(Map.of(P0, new OffsetAndMetadata(14), P1, new OffsetAndMetadata(7)));
    c.poll(Duration.ZERO);
    assertThat(outcomes).containsExactly("first null", "waiting null");
    assertThat(c.committed(Set.of(P0, P1), Duration.ZERO)).containsEntry(P0, new OffsetAndMetadata(14)).containsEntry(P1, new OffsetAndMetadata(7));
  }
}
