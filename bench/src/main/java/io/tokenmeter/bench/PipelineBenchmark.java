package io.tokenmeter.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The in-JVM pipeline against its ceiling, on the same bytes. One operation is one span: each
 * invocation pushes {@value #SPANS_PER_INVOCATION} spans (in records of {@code spansPerRecord}),
 * so the score is spans/s and {@code gc.alloc.rate.norm} is bytes allocated per span.
 * <ul>
 *   <li>{@link #ceiling}: protobuf decode + re-encode of each record, nothing else;</li>
 *   <li>{@link #pipeline}: decode, normalise, resolve, price, enrich, redact, metrics, encode
 *       every output (production defaults, duplicate detection off: it is a store lookup, measured
 *       separately);</li>
 *   <li>{@link #pipelineWithDedup}: the same with the production RocksDB dedup store on; every
 *       span is new (ids re-salted in place before each record).</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(PipelineBenchmark.SPANS_PER_INVOCATION)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class PipelineBenchmark {
  public static final int SPANS_PER_INVOCATION = 1000;
  /** Distinct spans in the pool the records cycle through. */
  static final int POOL_SPANS = 20_000;

  @State(Scope.Benchmark)
  public static class Data {
    @Param({"100"})
    public int spansPerRecord;
    @Param({"50"})
    public int models;

    Workload workload;
    byte[][] values;
    String[] keys;
    int next;

    @Setup(Level.Trial)
    public void setup() {
      workload = Workload.build(spansPerRecord, models, TrafficMix.MAX_SERVICES, Math.max(POOL_SPANS, spansPerRecord * 4), 42);
      values = workload.records.stream().map(OtlpTemplate::bytes).toArray(byte[][]::new);
      keys = workload.keys.toArray(String[]::new);
    }

    int nextIndex() {
      int i = next;
      next = i + 1 == values.length ? 0 : i + 1;
      return i;
    }

    int recordsPerInvocation() {
      return Math.max(1, SPANS_PER_INVOCATION / spansPerRecord);
    }
  }

  @State(Scope.Thread)
  public static class Pipeline {
    /** metrics.label.max.values: raised for the many-models sweep, so that every model is its own series. */
    @Param({"200"})
    public int labelMaxValues;

    PipelineHarness harness;

    @Setup(Level.Trial)
    public void setup() {
      harness = new PipelineHarness(false, Map.of("metrics.label.max.values", String.valueOf(labelMaxValues)));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      harness.close();
    }
  }

  @State(Scope.Thread)
  public static class DedupPipeline {
    PipelineHarness harness;
    long salt;

    @Setup(Level.Trial)
    public void setup() {
      harness = new PipelineHarness(true, Map.of());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      harness.close();
    }
  }

  @Benchmark
  public void ceiling(Data d, Blackhole bh) throws InvalidProtocolBufferException {
    for (int r = d.recordsPerInvocation(); r > 0; r--) {
      byte[] bytes = d.values[d.nextIndex()];
      bh.consume(TracesData.parseFrom(bytes).toByteArray());
    }
  }

  @Benchmark
  public void pipeline(Data d, Pipeline p, Blackhole bh) {
    long now = System.currentTimeMillis();
    for (int r = d.recordsPerInvocation(); r > 0; r--) {
      int i = d.nextIndex();
      bh.consume(p.harness.process(d.keys[i], d.values[i], now));
    }
  }

  @Benchmark
  public void pipelineWithDedup(Data d, DedupPipeline p, Blackhole bh) {
    long now = System.currentTimeMillis();
    for (int r = d.recordsPerInvocation(); r > 0; r--) {
      int i = d.nextIndex();
      d.workload.records.get(i).resaltInPlace(++p.salt * 0x9E3779B97F4A7C15L);
      bh.consume(p.harness.process(d.keys[i], d.values[i], now));
    }
  }
}
