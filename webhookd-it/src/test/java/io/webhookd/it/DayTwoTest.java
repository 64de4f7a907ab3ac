package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.webhookd.ActivityEvent;
import io.webhookd.DeadLetter;
import io.webhookd.FilterPreview;
import io.webhookd.NotFailingException;
import io.webhookd.OnExhausted;
import io.webhookd.Position;
import io.webhookd.ReplayFrom;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.TestDelivery;
import io.webhookd.ValidationException;
import io.webhookd.Webhookd;
import io.webhookd.internal.Engine;
import io.webhookd.internal.InMemoryStore;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.ReceivedRequest;
import io.webhookd.testkit.WebhookReceiver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Day-2 operations on a real broker: dead letters, skip, replay, redeliver, test message, filter preview. */
class DayTwoTest extends ReceiverTestBase {

  DayTwoTest(KafkaCluster kafka) {
    super(kafka);
  }

  /** The receiver refuses (400) every batch holding a message whose value has {@code "poison": true}. */
  private void refusePoison() {
    receiver.respondWith((n, r) -> r.bodyAsString().contains("\"poison\":true")
        ? WebhookReceiver.Response.status(400).withBody("bad payload") : WebhookReceiver.Response.ok());
  }

  private static ProducerRecord<String, byte[]> poison(String topic, String key) {
    return new ProducerRecord<>(topic, key, "{\"poison\":true}".getBytes(StandardCharsets.UTF_8));
  }

  private static SubscriptionSpec.Builder spec(String name, String url, String topic) {
    return SubscriptionSpec.builder().name(name).webhookUrl(url).source(topic).maxBatchSize(1)
        .maxBatchInterval(Duration.ofMillis(10)).retryInitialDelay(Duration.ofMillis(20)).retryMaxDelay(Duration.ofMillis(50));
  }

  private static List<DeadLetter> all(Webhookd engine, String id) {
    return engine.deadLetters(id, null, 1000).deadLetters();
  }

  @Test
  @DisplayName("dead_letter: a poison message goes to the dead letters with its record and last answer; its neighbours are delivered; redeliver sends it again once the webhook accepts it")
  void poisonIsDeadLetteredAndRedelivered() {
    String t = topic(kafka, "poison", 1);
    refusePoison();
    try (Webhookd engine = engine(kafka).build()) {
      Subscription s = engine.subscribe(spec("poison", receiver.url().toString(), t).maxRetries(1)
          .onExhausted(OnExhausted.DEAD_LETTER).build());
      kafka.produce(t, jsonMessages(t, 0, 5));
      RecordMetadata bad = kafka.produce(t, List.of(poison(t, "the-key"))).get(0);
      kafka.produce(t, jsonMessages(t, 5, 5));
      receiver.awaitDeliveredCount(10, Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(20)).until(() -> all(engine, s.id()).size() == 1);

      DeadLetter d = all(engine, s.id()).get(0);
      assertThat(d.topic()).isEqualTo(t);
      assertThat(d.partition()).isEqualTo(bad.partition());
      assertThat(d.offset()).isEqualTo(bad.offset());
      assertThat(d.timestamp()).isEqualTo(Instant.ofEpochMilli(bad.timestamp()));
      assertThat(d.message()).contains("\"key\":\"the-key\"").contains("\"poison\":true");
      assertThat(d.statusCode()).isEqualTo(400);
      assertThat(d.error()).contains("bad payload");
      assertThat(d.attempts()).isEqualTo(2);
      assertThat(d.reason()).isEqualTo(DeadLetter.RETRIES_EXHAUSTED);
      assertThat(receiver.uniqueDeliveredIds()).doesNotContain(ReceivedMessage.id(t, bad.partition(), bad.offset()));
      // the subscription went on: committed past the poison message, and not unhealthy for ever
      await().atMost(Duration.ofSeconds(20)).until(() -> engine.status(s.id()).orElseThrow().consumerLag() == 0);
      assertThat(engine.status(s.id()).orElseThrow().recentActivity())
          .anyMatch(e -> e.type() == ActivityEvent.Type.DEAD_LETTERED && d.batchId().equals(e.batchId()));

      receiver.respondWith((n, r) -> WebhookReceiver.Response.ok());
      assertThat(engine.redeliver(s.id(), null, "ops")).isEqualTo(1);
      await().atMost(Duration.ofSeconds(20)).until(() -> all(engine, s.id()).isEmpty());
      assertThat(receiver.uniqueDeliveredIds()).contains(ReceivedMessage.id(t, bad.partition(), bad.offset()));
      assertThat(engine.status(s.id()).orElseThrow().recentActivity())
          .anyMatch(e -> e.type() == ActivityEvent.Type.REDELIVERED && e.message().contains("1 of 1"));
    }
  }

  @Test
  @DisplayName("max_retries 0 with dead_letter: no retry at all; a redelivery the webhook refuses leaves the dead letter in place; discard removes it")
  void noRetriesAndDiscard() {
    String t = topic(kafka, "noretry", 1);
    refusePoison();
    try (Webhookd engine = engine(kafka).build()) {
      Subscription s = engine.subscribe(spec("noretry", receiver.url().toString(), t).maxRetries(0)
          .onExhausted(OnExhausted.DEAD_LETTER).build());
      kafka.produce(t, List.of(poison(t, "k")));
      kafka.produce(t, jsonMessages(t, 0, 1));
      receiver.awaitDeliveredCount(1, Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(20)).until(() -> all(engine, s.id()).size() == 1);
      assertThat(receiver.requests().stream().filter(r -> r.bodyAsString().contains("poison")).count()).isEqualTo(1);

      String dl = all(engine, s.id()).get(0).id();
      engine.redeliver(s.id(), List.of(dl), null);
      await().atMost(Duration.ofSeconds(20)).until(() -> engine.status(s.id()).orElseThrow().recentActivity().stream()
          .anyMatch(e -> e.type() == ActivityEvent.Type.REDELIVERED));
      assertThat(all(engine, s.id())).extracting(DeadLetter::id).containsExactly(dl);

      assertThat(engine.discardDeadLetter(s.id(), dl, "ops")).isTrue();
      assertThat(engine.discardDeadLetter(s.id(), dl, "ops")).isFalse();
      assertThat(all(engine, s.id())).isEmpty();
    }
  }

  @Test
  @DisplayName("a batch of several messages that exhausts its retries: its messages are tried once more one by one, so only the refused one stays in the dead letters")
  void onlyTheRefusedMessageStays() {
    String t = topic(kafka, "onebyone", 1);
    refusePoison();
    try (Webhookd engine = engine(kafka).build()) {
      Subscription s = engine.subscribe(spec("onebyone", receiver.url().toString(), t).maxBatchSize(10)
          .maxBatchInterval(Duration.ofMillis(300)).maxRetries(1).onExhausted(OnExhausted.DEAD_LETTER).build());
      kafka.produce(t, jsonMessages(t, 0, 3));
      RecordMetadata bad = kafka.produce(t, List.of(poison(t, "k"))).get(0);
      kafka.produce(t, jsonMessages(t, 3, 3));
      receiver.awaitDeliveredCount(6, Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(20)).until(() -> all(engine, s.id()).size() == 1);
      assertThat(all(engine, s.id())).singleElement().satisfies(d -> assertThat(d.offset()).isEqualTo(bad.offset()));
      // the refused batch held all seven; its six good messages came in requests of one
      assertThat(receiver.requests().stream().filter(ReceivedRequest::answeredSuccess).filter(r -> r.messages().size() == 1))
          .hasSizeGreaterThanOrEqualTo(6);
      assertThat(engine.status(s.id()).orElseThrow().recentActivity())
          .anyMatch(e -> e.type() == ActivityEvent.Type.REDELIVERED && e.message().startsWith("6 of 7"));
    }
  }

  @Test
  @DisplayName("listing pages through the dead letters with a cursor, oldest first")
  void pages() {
    String t = topic(kafka, "pages", 1);
    receiver.alwaysRespond(400);
    try (Webhookd engine = engine(kafka).build()) {
      Subscription s = engine.subscribe(spec("pages", receiver.url().toString(), t).maxRetries(0)
          .onExhausted(OnExhausted.DEAD_LETTER).build());
      kafka.produce(t, jsonMessages(t, 0, 7));
      await().atMost(Duration.ofSeconds(30)).until(() -> all(engine, s.id()).size() == 7);
      DeadLetter.Page first = engine.deadLetters(s.id(), null, 3);
      DeadLetter.Page second = engine.deadLetters(s.id(), first.next(), 3);
      DeadLetter.Page third = engine.deadLetters(s.id(), second.next(), 3);
      assertThat(first.deadLetters()).hasSize(3);
      assertThat(second.deadLetters()).hasSize(3);
      assertThat(third.deadLetters()).hasSize(1);
      assertThat(third.next()).isNull();
      List<Long> offsets = new java.util.ArrayList<>();
      for (DeadLetter.Page p : List.of(first, second, third)) {
        p.deadLetters().forEach(d -> offsets.add(d.offset()));
      }
      assertThat(offsets).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
      assertThatThrownBy(() -> engine.deadLetters(s.id(), null, 0)).isInstanceOf(ValidationException.class)
          .hasMessageContaining("limit");
    }
  }

  @Test
  @DisplayName("a crash between writing the dead letters and committing loses nothing: the next engine dead-letters (or delivers) the batch again")
  void crashBetweenDeadLetterAndCommit() throws Exception {
    String t = topic(kafka, "dlcrash", 1);
    refusePoison();
    CountDownLatch written = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    InMemoryStore shared = new InMemoryStore();
    // the first engine's store writes the dead letters, then hangs before the runner can go on to commit
    SubscriptionStore hanging = new DelegatingStore(shared) {
      @Override
      public void addDeadLetters(List<DeadLetter> letters) {
        shared.addDeadLetters(letters);
        written.countDown();
        try {
          never.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    RecordMetadata bad;
    String id;
    Engine first = Engines.on(kafka).store(hanging).start();
    try {
      id = first.subscribe(spec("dlcrash", receiver.url().toString(), t).maxRetries(0).onExhausted(OnExhausted.DEAD_LETTER)
          .build(), null).id();
      bad = kafka.produce(t, List.of(poison(t, "k"))).get(0);
      kafka.produce(t, jsonMessages(t, 0, 3));
      assertThat(written.await(30, TimeUnit.SECONDS)).isTrue();
      first.abandonForTesting(); // the process dies: nothing more is committed
    } finally {
      never.countDown();
    }
    try (Webhookd second = engine(kafka).store(new DelegatingStore(shared)).build()) {
      receiver.awaitDeliveredCount(3, Duration.ofSeconds(60));
      await().atMost(Duration.ofSeconds(30)).until(() -> all(second, id).size() == 2);
      // the poison message is in the dead letters (twice: at least once), the others were delivered
      assertThat(all(second, id)).extracting(DeadLetter::offset).containsOnly(bad.offset());
      Set<String> everything = new HashSet<>(receiver.uniqueDeliveredIds());
      all(second, id).forEach(d -> everything.add(ReceivedMessage.id(d.topic(), d.partition(), d.offset())));
      for (long o = 0; o < 4; o++) {
        assertThat(everything).contains(ReceivedMessage.id(t, 0, o));
      }
    }
  }

  @Test
  @DisplayName("skip: a failing batch under keep_retrying goes to the dead letters, delivery moves on; an unknown or delivered batch is a conflict")
  void skip() {
    String t = topic(kafka, "skip", 1);
    refusePoison();
    try (Webhookd engine = engine(kafka).build()) {
      Subscription s = engine.subscribe(spec("skip", receiver.url().toString(), t).maxRetries(2).build());
      kafka.produce(t, List.of(poison(t, "k")));
      kafka.produce(t, jsonMessages(t, 0, 3));
      await().atMost(Duration.ofSeconds(30)).until(() -> engine.status(s.id()).orElseThrow().recentActivity().stream()
          .filter(e -> e.type() == ActivityEvent.Type.API_CALL && Integer.valueOf(400).equals(e.responseCode())).count() >= 3);
      assertThat(receiver.deliveredMessages()).isEmpty(); // partition order: the rest waits behind it
      String batchId = engine.status(s.id()).orElseThrow().recentActivity().stream()
          .filter(e -> e.type() == ActivityEvent.Type.API_CALL && e.batchId() != null).findFirst().orElseThrow().batchId();

      assertThatThrownBy(() -> engine.skip(s.id(), "no-such-batch", "ops")).isInstanceOf(NotFailingException.class);
      engine.skip(s.id(), batchId, "ops");

      receiver.awaitDeliveredCount(3, Duration.ofSeconds(30));
      List<DeadLetter> dls = all(engine, s.id());
      assertThat(dls).hasSize(1);
      assertThat(dls.get(0).reason()).isEqualTo(DeadLetter.SKIPPED);
      assertThat(dls.get(0).batchId()).isEqualTo(batchId);
      assertThat(engine.status(s.id()).orElseThrow().recentActivity())
          .anyMatch(e -> e.type() == ActivityEvent.Type.DEAD_LETTERED && e.message().contains("skipped by ops"))
          .anyMatch(e -> e.type() == ActivityEvent.Type.SKIPPED && batchId.equals(e.batchId()));
      assertThatThrownBy(() -> engine.skip(s.id(), batchId, "ops")).isInstanceOf(NotFailingException.class);
    }
  }

  @Test
  @DisplayName("replay by timestamp and by offsets: the group moves there and delivery continues from it")
  void replay() {
    String t = topic(kafka, "replay", 2);
    try (Webhookd engine = engine(kafka).build()) {
      Subscription s = engine.subscribe(spec("replay", receiver.url().toString(), t).maxBatchSize(50).build());
      kafka.produce(t, jsonMessages(t, 0, 20));
      receiver.awaitDeliveredCount(20, Duration.ofSeconds(30));
      Instant between = Instant.now();
      await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(between.plusMillis(5)));
      List<RecordMetadata> later = kafka.produce(t, jsonMessages(t, 20, 10));
      receiver.awaitDeliveredCount(30, Duration.ofSeconds(30));

      List<Position> positions = engine.replay(s.id(), ReplayFrom.at(between), "ops");
      assertThat(positions).hasSize(2);
      for (Position p : positions) {
        long first = later.stream().filter(m -> m.partition() == p.partition()).mapToLong(RecordMetadata::offset).min()
            .orElse(Long.MAX_VALUE);
        assertThat(p.offset()).as("partition %d", p.partition()).isLessThanOrEqualTo(first);
      }
      // the 10 produced after the timestamp come again (duplicates, by design), and nothing from before it
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.deliveredMessages().size() >= 40);
      List<ReceivedMessage> again = receiver.deliveredMessages().subList(30, 40);
      assertThat(again).allMatch(m -> m.value().get("n").asInt() >= 20);
      assertThat(receiver.deliveredMessages()).hasSize(40);

      engine.replay(s.id(), ReplayFrom.offsets(List.of(new Position(t, 0, 0))), null);
      long inPartition0 = receiver.deliveredMessages().subList(0, 30).stream().filter(m -> m.partition() == 0).count();
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.deliveredMessages().size() >= 40 + inPartition0);
      assertThat(receiver.deliveredMessages().subList(40, (int) (40 + inPartition0))).allMatch(m -> m.partition() == 0);
      assertThat(engine.status(s.id()).orElseThrow().recentActivity())
          .anyMatch(e -> e.type() == ActivityEvent.Type.REPLAYED && e.message().contains("by ops"));
      assertThatThrownBy(() -> engine.replay(s.id(), ReplayFrom.offsets(List.of(new Position("other", 0, 0))), null))
          .isInstanceOf(ValidationException.class).hasMessageContaining("from.offsets[0].topic");
    }
  }

  @Test
  @DisplayName("test message: one signed synthetic batch through the same transport, nothing committed, recorded as a test")
  void testMessage() {
    String t = topic(kafka, "testmsg", 1);
    try (Webhookd engine = engine(kafka).build()) {
      Subscription s = engine.subscribe(spec("testmsg", receiver.url().toString(), t)
          .signingSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").header("X-Tenant", "acme").build());
      TestDelivery ok = engine.sendTest(s.id(), "ops");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.error()).isNull();
      ReceivedRequest r = receiver.awaitRequests(1, Duration.ofSeconds(10)).get(0);
      assertThat(r.messages()).hasSize(1);
      assertThat(r.messages().get(0).topic()).isEqualTo(TestDelivery.TOPIC);
      assertThat(r.header("webhook-signature")).isPresent();
      assertThat(r.header("x-tenant")).contains("acme");
      receiver.alwaysRespond(503);
      TestDelivery failed = engine.sendTest(s.id(), null);
      assertThat(failed.statusCode()).isEqualTo(503);
      assertThat(failed.error()).contains("503");
      assertThat(engine.status(s.id()).orElseThrow().recentActivity()).filteredOn(e -> e.type() == ActivityEvent.Type.TEST)
          .hasSize(2);
    }
  }

  @Test
  @DisplayName("filter preview evaluates the last records with the owner's row filter ANDed in; a filter that can never match is refused at registration with a hint")
  void previewAndNeverMatching() {
    String t = topic(kafka, "preview", 2);
    kafka.produce(t, jsonMessages(t, 0, 40)); // amount = n, region alternates eu/us
    try (Webhookd engine = engine(kafka)
        .rowFilterPolicy((sub, topic) -> "eu-only".equals(sub.owner()) ? List.of("value.region == 'eu'") : List.of())
        .build()) {
      List<SubscriptionSpec.Source> sources = List.of(new SubscriptionSpec.Source(t, List.of("value.amount >= `30`")));
      FilterPreview.Source all = engine.previewFilters(sources, 200, null).sources().get(0);
      assertThat(all.examined()).isEqualTo(40);
      assertThat(all.matched()).isEqualTo(10);
      assertThat(all.samples()).hasSize(FilterPreview.MAX_SAMPLES).allMatch(m -> m.contains("\"amount\":3"));
      FilterPreview.Source eu = engine.previewFilters(sources, 200, "eu-only").sources().get(0);
      assertThat(eu.matched()).isEqualTo(5);
      assertThat(eu.samples()).allMatch(m -> m.contains("\"region\":\"eu\""));
      FilterPreview.Source wrong = engine.previewFilters(
          List.of(new SubscriptionSpec.Source(t, List.of("amount > `1`"))), 10, null).sources().get(0);
      assertThat(wrong.warnings()).singleElement().asString().contains("did you mean value.amount?");
      assertThat(wrong.matched()).isZero();

      assertThatThrownBy(() -> engine.subscribe(SubscriptionSpec.builder().name("never").webhookUrl(receiver.url().toString())
          .source(t, "amount > `100`").build()))
          .isInstanceOf(ValidationException.class)
          .hasMessageContaining("source[0].jmes_filters[0]")
          .hasMessageContaining("did you mean value.amount?");
    }
  }
}
