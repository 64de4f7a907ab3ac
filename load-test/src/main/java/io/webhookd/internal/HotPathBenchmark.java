package io.webhookd.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The engine's per-message hot path, as {@code SubscriptionRunner.handle} and {@code send} run it,
 * on a 1 KB JSON value: classify, filter (projection + JMESPath), encode, and the per-message share
 * of the batch body and its signature (batches of 100); {@code perMessageAll} is all of it. Lives in {@code io.webhookd.internal} of the
 * load-test module to reach the package-private methods (split package, class path only).
 *
 * <p>{@code java -jar load-test/target/webhookd-load-test.jar jmh HotPathBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
public class HotPathBenchmark {
  private static final int BATCH = 100;

  private ConsumerRecord<byte[], byte[]> record;
  private final MessageEncoder encoder = new MessageEncoder();
  private Jmes.Filter filter;
  private RecordFilter recordFilter;
  private Signer signer;
  private List<byte[]> parts;
  private int partBytes;
  private byte[] body;

  @Setup
  public void setup() {
    SplittableRandom rnd = new SplittableRandom(1);
    StringBuilder sb = new StringBuilder("{\"seq\":123456,\"region\":\"eu\",\"amount\":250,\"customer\":\"c-17\",\"note\":\"");
    while (sb.length() < 1022) {
      sb.append((char) ('a' + rnd.nextInt(26)));
    }
    sb.append("\"}");
    byte[] value = sb.toString().getBytes(StandardCharsets.UTF_8);
    byte[] key = "c-17".getBytes(StandardCharsets.UTF_8);
    record = new ConsumerRecord<>("orders", 1, 123_456L, System.currentTimeMillis(), TimestampType.CREATE_TIME, key.length, value.length,
        key, value, new RecordHeaders(), Optional.empty());
    filter = Jmes.all(List.of("value.region == 'eu'"));
    recordFilter = RecordFilter.of(List.of("value.region == 'eu'"));
    signer = new Signer(Signer.newSecret());
    parts = new ArrayList<>();
    byte[] m = encoder.encode(record, MessageEncoder.ValueKind.JSON);
    for (int i = 0; i < BATCH; i++) {
      parts.add(m);
      partBytes += m.length;
    }
    body = encoder.batchBody("sub-id", "msg_2b4f6a", parts, partBytes, BATCH);
  }

  @Benchmark
  public MessageEncoder.ValueKind classify() {
    return MessageEncoder.classify(record.value());
  }

  @Benchmark
  public byte[] encode() {
    return encoder.encode(record, MessageEncoder.ValueKind.JSON);
  }

  /** The filter as the engine runs it: the value checked and projected onto value.region in one pass. */
  @Benchmark
  public boolean filter() {
    return recordFilter.test(record);
  }

  /** The filter on the whole message object (Jackson parse of the value), for comparison. */
  @Benchmark
  public boolean filterWholeTree() {
    return filter.test(MessageEncoder.tree(record, MessageEncoder.ValueKind.JSON, MessageEncoder.parseJson(record.value())));
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public byte[] batchBodyPerMessage() {
    return encoder.batchBody("sub-id", "msg_2b4f6a", parts, partBytes, BATCH);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public String signPerMessage() {
    return signer.sign("msg_2b4f6a", 1_764_000_000L, body);
  }

  /** What a message costs without filters: classify, encode, its share of body and signature. */
  @Benchmark
  public void perMessageNoFilter(Blackhole bh) {
    MessageEncoder.ValueKind k = MessageEncoder.classify(record.value());
    bh.consume(encoder.encode(record, k));
  }

  /** What a message costs with one filter: classify and filter in one pass, encode. */
  @Benchmark
  public void perMessageWithFilter(Blackhole bh) {
    if (recordFilter.test(record)) {
      bh.consume(encoder.encode(record, recordFilter.kind()));
    }
  }

  /**
   * The whole per-message path of a batch of 100, divided by 100: filter (with classification),
   * encode, the batch body and its signature.
   */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public String perMessageAll() {
    List<byte[]> batch = new ArrayList<>(BATCH);
    int bytes = 0;
    for (int i = 0; i < BATCH; i++) {
      if (recordFilter.test(record)) {
        byte[] m = encoder.encode(record, recordFilter.kind());
        batch.add(m);
        bytes += m.length;
      }
    }
    byte[] b = encoder.batchBody("sub-id", "msg_2b4f6a", batch, bytes, batch.size());
    return signer.sign("msg_2b4f6a", 1_764_000_000L, b);
  }
}
