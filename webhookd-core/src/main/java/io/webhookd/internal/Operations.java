package io.webhookd.internal;

import io.webhookd.ActivityEvent;
import io.webhookd.DeadLetter;
import io.webhookd.FilterPreview;
import io.webhookd.NotFailingException;
import io.webhookd.Position;
import io.webhookd.Problem;
import io.webhookd.ReplayFrom;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.TestDelivery;
import io.webhookd.ValidationException;
import io.webhookd.WebhookdException;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.EngineCommand;
import io.webhookd.spi.SubscriptionStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The day-2 operations on a subscription that an operator asks for: its dead letters (list,
 * redeliver, discard), skip a failing batch, replay from other positions, send a test message,
 * preview filters. What runs on a subscription's consumer thread (moving a failing batch to the
 * dead letters) is the runner's; this class finds the runner, here or on another engine through
 * the store's {@link EngineCommand commands}.
 */
final class Operations {
  private static final Logger log = LoggerFactory.getLogger(Operations.class);
  /** How long a replay waits for every engine to let the subscription's group go. */
  static final Duration HOLD_WAIT = Duration.ofSeconds(45);
  /** How long a skip waits for the engine holding the batch to answer through the store. */
  private static final Duration SKIP_WAIT = Duration.ofSeconds(10);

  private final Engine engine;
  private final SubscriptionStore store;
  private final Reporter reporter;
  private final Metrics metrics;
  private final ExecutorService background;

  Operations(Engine engine, SubscriptionStore store, Reporter reporter, Metrics metrics, ExecutorService background) {
    this.engine = engine;
    this.store = store;
    this.reporter = reporter;
    this.metrics = metrics;
    this.background = background;
  }

  // ------------------------------------------------------------------ dead letters

  DeadLetter.Page deadLetters(Subscription s, @Nullable String after, int limit) {
    if (limit < 1 || limit > 1000) {
      throw new ValidationException(List.of(new Problem("limit", "must be between 1 and 1000, was " + limit)));
    }
    requireDeadLetters();
    return store.deadLetters(s.id(), after, limit);
  }

  boolean discard(Subscription s, String deadLetterId, @Nullable String who) {
    requireDeadLetters();
    boolean removed = store.removeDeadLetter(s.id(), deadLetterId);
    if (removed) {
      reporter.activity(s.id(), ActivityEvent.operation(Instant.now(), ActivityEvent.Type.DISCARDED,
          "dead letter " + deadLetterId + " discarded" + by(who), 1, null));
    }
    return removed;
  }

  /** Sends dead letters again in the background, batched by the subscription's batching; returns how many. */
  int redeliver(Subscription s, @Nullable List<String> ids, @Nullable String who) {
    requireDeadLetters();
    List<DeadLetter> letters = new ArrayList<>();
    if (ids == null) {
      String after = null;
      do {
        DeadLetter.Page page = store.deadLetters(s.id(), after, 1000);
        letters.addAll(page.deadLetters());
        after = page.next();
      } while (after != null);
    } else {
      letters.addAll(store.deadLetters(s.id(), ids));
    }
    if (letters.isEmpty()) {
      return 0;
    }
    background.execute(() -> sendAgain(s, letters, who));
    return letters.size();
  }

  /**
   * The letters of a batch that exhausted its retries, tried once more one message per request
   * in the background: those accepted leave the dead letters, the refused ones stay.
   */
  void resendOneByOne(String subscriptionId, List<DeadLetter> letters) {
    background.execute(() -> {
      Subscription s = store.get(subscriptionId).orElse(null);
      if (s != null) {
        sendAgain(s, letters, null, 1, "one message per request after its batch exhausted its retries");
      }
    });
  }

  private void sendAgain(Subscription s, List<DeadLetter> letters, @Nullable String who) {
    sendAgain(s, letters, who, s.spec().batching().maxBatchSize(), null);
  }

  private void sendAgain(Subscription s, List<DeadLetter> letters, @Nullable String who, int size, @Nullable String why) {
    RequestMaker requests = new RequestMaker(s.id(), s.spec().destination(), engine.config().requestTimeout(), engine.tracing());
    MessageEncoder encoder = new MessageEncoder();
    int accepted = 0;
    int failed = 0;
    for (int from = 0; from < letters.size(); from += size) {
      List<DeadLetter> chunk = letters.subList(from, Math.min(letters.size(), from + size));
      String batchId = "redeliver_" + UUID.randomUUID();
      List<byte[]> parts = new ArrayList<>(chunk.size());
      int bytes = 0;
      for (DeadLetter d : chunk) {
        byte[] m = d.message().getBytes(StandardCharsets.UTF_8);
        parts.add(m);
        bytes += m.length;
      }
      byte[] body = encoder.batchBody(s.id(), batchId, parts, bytes, parts.size());
      DeliveryRequest req = requests.request(batchId, body);
      DeliveryResult r = sendNow(s, req);
      reporter.activity(s.id(), Activity.apiCall(req, requests.requestLine(), r, chunk.size(), batchId, Instant.now()));
      if (r.isSuccess()) {
        for (DeadLetter d : chunk) {
          try {
            store.removeDeadLetter(s.id(), d.id());
          } catch (RuntimeException e) {
            log.warn("dead letter {} of {} was redelivered but could not be removed: {}", d.id(), s.id(), e.toString());
          }
        }
        accepted += chunk.size();
      } else {
        failed += chunk.size();
      }
    }
    metrics.redelivered(s.id(), accepted);
    reporter.activity(s.id(), ActivityEvent.operation(Instant.now(), ActivityEvent.Type.REDELIVERED,
        accepted + " of " + letters.size() + " dead letter(s) redelivered" + by(who) + (why == null ? "" : " (" + why + ")")
            + (failed == 0 ? "" : "; " + failed + " refused, still in the dead letters"), letters.size(), null));
  }

  private DeliveryResult sendNow(Subscription s, DeliveryRequest req) {
    long start = System.nanoTime();
    try {
      return engine.destination(s).send(req)
          .get(engine.config().requestTimeout().plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return DeliveryResult.failure(e, Duration.ofNanos(System.nanoTime() - start), true);
    } catch (ExecutionException e) {
      return DeliveryResult.failure(e.getCause(), Duration.ofNanos(System.nanoTime() - start), true);
    } catch (TimeoutException | RuntimeException e) {
      return DeliveryResult.failure(e, Duration.ofNanos(System.nanoTime() - start), true);
    }
  }

  private void requireDeadLetters() {
    if (!store.supportsDeadLetters()) {
      throw new WebhookdException("the store " + store.getClass().getName() + " keeps no dead letters");
    }
  }

  // ------------------------------------------------------------------ skip

  void skip(Subscription s, String batchId, @Nullable String who) {
    requireDeadLetters();
    SubscriptionRunner r = engine.runner(s.id());
    if (r != null && r.skip(batchId, who)) {
      skipped(s.id(), batchId, who);
      return;
    }
    if (!store.isShared()) {
      throw new NotFailingException(s.id(), batchId);
    }
    // another engine may hold the batch: ask every engine through the store
    Instant now = Instant.now();
    EngineCommand c = new EngineCommand(UUID.randomUUID().toString(), s.id(), EngineCommand.Kind.SKIP,
        batchId + "\n" + (who == null ? "" : who), now, now.plus(SKIP_WAIT), null);
    store.addCommand(c);
    long deadline = System.nanoTime() + SKIP_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      EngineCommand seen = store.command(c.id()).orElse(null);
      if (seen != null && seen.result() != null) {
        if (seen.result().startsWith("skipped")) {
          return;
        }
        break;
      }
      sleep(Math.min(200, engine.config().storePollInterval().toMillis() / 4 + 1));
    }
    store.completeCommand(c.id(), "not failing");
    throw new NotFailingException(s.id(), batchId);
  }

  /** Runs a pending skip command if this engine holds the batch. */
  void onSkipCommand(EngineCommand c) {
    String arg = c.argument() == null ? "" : c.argument();
    int nl = arg.indexOf('\n');
    String batchId = nl < 0 ? arg : arg.substring(0, nl);
    String who = nl < 0 || nl == arg.length() - 1 ? null : arg.substring(nl + 1);
    SubscriptionRunner r = engine.runner(c.subscriptionId());
    if (r != null && r.skip(batchId, who)) {
      store.completeCommand(c.id(), "skipped by engine " + engine.engineId());
      skipped(c.subscriptionId(), batchId, who);
    }
  }

  private void skipped(String subscriptionId, String batchId, @Nullable String who) {
    reporter.activity(subscriptionId, ActivityEvent.operation(Instant.now(), ActivityEvent.Type.SKIPPED,
        "batch " + batchId + " skipped" + by(who) + ": its messages go to the dead letters", null, batchId));
  }

  // ------------------------------------------------------------------ replay

  List<Position> replay(Subscription s, ReplayFrom from, @Nullable String who) {
    Map<String, Object> props = clientProperties();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Admin admin = Admin.create(props)) {
      Map<TopicPartition, Long> target = positions(s, from, c);
      EngineCommand hold = hold(s);
      try {
        awaitEmptyGroup(admin, s.groupId());
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        target.forEach((tp, o) -> offsets.put(tp, new OffsetAndMetadata(o)));
        admin.alterConsumerGroupOffsets(s.groupId(), offsets).all().get(30, TimeUnit.SECONDS);
      } finally {
        release(s, hold);
      }
      List<Position> out = new ArrayList<>();
      target.forEach((tp, o) -> out.add(new Position(tp.topic(), tp.partition(), o)));
      metrics.replayed(s.id());
      reporter.activity(s.id(), ActivityEvent.operation(Instant.now(), ActivityEvent.Type.REPLAYED,
          "replayed from " + describe(from) + by(who) + ": " + out, null, null));
      log.info("subscription {} replayed from {}{}: {}", s.id(), describe(from), by(who), out);
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WebhookdException("interrupted while replaying " + s.id(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new WebhookdException("could not move the offsets of group " + s.groupId() + ": " + e, e);
    }
  }

  private Map<TopicPartition, Long> positions(Subscription s, ReplayFrom from, KafkaConsumer<byte[], byte[]> c) {
    List<TopicPartition> all = new ArrayList<>();
    for (String topic : s.spec().topics()) {
      List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(15));
      if (infos == null) {
        continue;
      }
      for (PartitionInfo p : infos) {
        all.add(new TopicPartition(topic, p.partition()));
      }
    }
    Map<TopicPartition, Long> target = new LinkedHashMap<>();
    if (from instanceof ReplayFrom.Earliest) {
      target.putAll(c.beginningOffsets(all, Duration.ofSeconds(15)));
    } else if (from instanceof ReplayFrom.Latest) {
      target.putAll(c.endOffsets(all, Duration.ofSeconds(15)));
    } else if (from instanceof ReplayFrom.AtTime t) {
      Map<TopicPartition, Long> query = new HashMap<>();
      all.forEach(tp -> query.put(tp, t.time().toEpochMilli()));
      Map<TopicPartition, OffsetAndTimestamp> found = c.offsetsForTimes(query, Duration.ofSeconds(15));
      Map<TopicPartition, Long> ends = c.endOffsets(all, Duration.ofSeconds(15));
      for (TopicPartition tp : all) {
        OffsetAndTimestamp o = found.get(tp);
        target.put(tp, o != null ? o.offset() : ends.get(tp));
      }
    } else if (from instanceof ReplayFrom.AtOffsets given) {
      List<Problem> problems = new ArrayList<>();
      Map<TopicPartition, Long> begin = c.beginningOffsets(all, Duration.ofSeconds(15));
      Map<TopicPartition, Long> end = c.endOffsets(all, Duration.ofSeconds(15));
      for (int i = 0; i < given.positions().size(); i++) {
        Position p = given.positions().get(i);
        TopicPartition tp = new TopicPartition(p.topic(), p.partition());
        String field = "from.offsets[" + i + "]";
        if (!s.spec().topics().contains(p.topic())) {
          problems.add(new Problem(field + ".topic", "must be one of the subscription's topics " + s.spec().topics() + ", was \"" + p.topic() + "\""));
        } else if (!all.contains(tp)) {
          problems.add(new Problem(field + ".partition", "topic " + p.topic() + " has no partition " + p.partition()));
        } else if (p.offset() < 0) {
          problems.add(new Problem(field + ".offset", "must not be negative, was " + p.offset()));
        } else {
          // Kafka's own rule: a position outside the log is moved to its nearest end
          target.put(tp, Math.max(begin.get(tp), Math.min(end.get(tp), p.offset())));
        }
      }
      if (!problems.isEmpty()) {
        throw new ValidationException(problems);
      }
    }
    return target;
  }

  /** Stops the subscription here and, through a HOLD command, on every engine sharing the store. */
  private EngineCommand hold(Subscription s) {
    Instant now = Instant.now();
    EngineCommand hold = new EngineCommand(UUID.randomUUID().toString(), s.id(), EngineCommand.Kind.HOLD, null, now,
        now.plus(HOLD_WAIT).plusSeconds(30), null);
    if (store.isShared()) {
      store.addCommand(hold);
    }
    engine.hold(s.id(), hold.id());
    return hold;
  }

  private void release(Subscription s, EngineCommand hold) {
    if (store.isShared()) {
      try {
        store.completeCommand(hold.id(), "released");
      } catch (RuntimeException e) {
        log.warn("could not release the replay hold of {} in the store (it expires at {}): {}", s.id(), hold.expiresAt(), e.toString());
      }
    }
    engine.release(s.id(), hold.id());
  }

  /** Waits until no consumer is a member of the group, the condition for moving its offsets. */
  private static void awaitEmptyGroup(Admin admin, String group) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + HOLD_WAIT.toNanos();
    while (true) {
      try {
        ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
            .get(10, TimeUnit.SECONDS);
        if (d.members().isEmpty() || d.groupState() == GroupState.EMPTY || d.groupState() == GroupState.DEAD) {
          return;
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof GroupIdNotFoundException) {
          return;
        }
        log.debug("describing group {}: {}", group, e.toString());
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("group " + group + " still had members after " + HOLD_WAIT.toSeconds()
            + " s: an engine sharing the store did not let the subscription go");
      }
      Thread.sleep(200);
    }
  }

  // ------------------------------------------------------------------ test

  TestDelivery sendTest(Subscription s, @Nullable String who) {
    String batchId = "test_" + UUID.randomUUID();
    Instant now = Instant.now();
    String message = "{\"topic\":\"" + TestDelivery.TOPIC + "\",\"partition\":0,\"offset\":0,\"timestamp\":\"" + now
        + "\",\"key\":null,\"value\":{\"test\":true,\"message\":\"a test message from webhookd; sent on request"
        + (who == null ? "" : " of " + jsonEscape(who)) + "\"},\"headers\":{}}";
    byte[] m = message.getBytes(StandardCharsets.UTF_8);
    byte[] body = new MessageEncoder().batchBody(s.id(), batchId, List.of(m), m.length, 1);
    RequestMaker requests = new RequestMaker(s.id(), s.spec().destination(), engine.config().requestTimeout(), engine.tracing());
    DeliveryRequest req = requests.request(batchId, body);
    DeliveryResult r = sendNow(s, req);
    ActivityEvent call = Activity.apiCall(req, requests.requestLine(), r, 1, batchId, Instant.now());
    reporter.activity(s.id(), new ActivityEvent(call.timestamp(), ActivityEvent.Type.TEST, call.request(),
        call.requestHeaders(), call.responseCode(), call.responseBody(), call.responseHeaders(),
        "test message" + by(who) + (call.message() == null ? "" : ": " + call.message()), 1, call.durationMillis(), batchId));
    Integer code = r.statusCode() >= 0 ? r.statusCode() : null;
    String bodyExcerpt = code == null ? null : Activity.truncate(r.bodyExcerpt(), TestDelivery.MAX_BODY);
    return new TestDelivery(code, r.duration().toMillis(), bodyExcerpt, r.isSuccess() ? null : HealthTracker.describe(r));
  }

  // ------------------------------------------------------------------ filter preview

  FilterPreview preview(List<SubscriptionSpec.Source> sources, int limit, @Nullable String owner) {
    if (limit < 1 || limit > 1000) {
      throw new ValidationException(List.of(new Problem("limit", "must be between 1 and 1000, was " + limit)));
    }
    Map<String, Object> props = clientProperties();
    List<FilterPreview.Source> out = new ArrayList<>();
    Instant now = Instant.now();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      for (SubscriptionSpec.Source source : sources) {
        List<String> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (String f : source.jmesFilters()) {
          String why = Jmes.check(f);
          if (why != null) {
            errors.add("\"" + f + "\": " + why);
          } else {
            String never = FilterRoots.neverMatches(f);
            if (never != null) {
              warnings.add("\"" + f + "\": " + never);
            }
          }
        }
        if (!errors.isEmpty()) {
          out.add(new FilterPreview.Source(source.topic(), 0, 0, List.of(), errors, warnings));
          continue;
        }
        List<String> exprs = new ArrayList<>(source.jmesFilters());
        Subscription asOwner = new Subscription("preview", SubscriptionSpec.builder().name("preview")
            .webhookUrl("https://preview.invalid/").source(source.topic()).build(), owner, 1, now, now);
        exprs.addAll(engine.rowFilters(asOwner, source.topic()));
        out.add(previewTopic(c, source.topic(), exprs, limit, warnings));
      }
    }
    return new FilterPreview(out);
  }

  private FilterPreview.Source previewTopic(
      KafkaConsumer<byte[], byte[]> c, String topic, List<String> exprs, int limit, List<String> warnings) {
    List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
    if (infos == null || infos.isEmpty()) {
      return new FilterPreview.Source(topic, 0, 0, List.of(), List.of("topic " + topic + " does not exist"), warnings);
    }
    List<TopicPartition> tps = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    Map<TopicPartition, Long> begin = c.beginningOffsets(tps, Duration.ofSeconds(10));
    Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(10));
    c.assign(tps);
    long per = Math.max(1, (limit + tps.size() - 1) / tps.size());
    long wanted = 0;
    for (TopicPartition tp : tps) {
      long from = Math.max(begin.get(tp), end.get(tp) - per);
      c.seek(tp, from);
      wanted += end.get(tp) - from;
    }
    RecordFilter filter = RecordFilter.of(exprs);
    MessageEncoder encoder = new MessageEncoder();
    int examined = 0;
    int matched = 0;
    List<String> samples = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (examined < Math.min(wanted, limit) && System.nanoTime() < deadline) {
      ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(200));
      for (ConsumerRecord<byte[], byte[]> r : records) {
        if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition())) || examined >= limit) {
          continue;
        }
        examined++;
        boolean pass;
        try {
          pass = filter.test(r);
        } catch (RuntimeException e) {
          pass = false;
          if (errors.size() < 5) {
            errors.add("offset " + r.partition() + "/" + r.offset() + ": " + e.getMessage());
          }
        }
        if (pass) {
          matched++;
          if (samples.size() < FilterPreview.MAX_SAMPLES) {
            samples.add(new String(encoder.encode(r, filter.kind()), StandardCharsets.UTF_8));
          }
        }
      }
    }
    c.unsubscribe();
    return new FilterPreview.Source(topic, examined, matched, samples, errors, warnings);
  }

  // ------------------------------------------------------------------ helpers

  /** Client properties for operations outside any group: the engine's connection settings. */
  private Map<String, Object> clientProperties() {
    Map<String, Object> props = new HashMap<>(engine.config().kafka());
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_PROTOCOL_CONFIG);
    props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "webhookd-operations");
    return props;
  }

  private static String describe(ReplayFrom from) {
    if (from instanceof ReplayFrom.AtTime t) {
      return t.time().toString();
    }
    if (from instanceof ReplayFrom.AtOffsets o) {
      return "offsets " + o.positions();
    }
    return from instanceof ReplayFrom.Earliest ? "earliest" : "latest";
  }

  static String by(@Nullable String who) {
    return who == null || who.isEmpty() ? "" : " by " + who;
  }

  private static String jsonEscape(String s) {
    StringBuilder b = new StringBuilder();
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') {
        b.append('\\').append(ch);
      } else if (ch < 0x20) {
        b.append(String.format("\\u%04x", (int) ch));
      } else {
        b.append(ch);
      }
    }
    return b.toString();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WebhookdException("interrupted", e);
    }
  }
}
