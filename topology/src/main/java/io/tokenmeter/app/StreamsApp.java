package io.tokenmeter.app;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tokenmeter.metrics.HealthMetrics;
import io.tokenmeter.metrics.LlmMetrics;
import io.tokenmeter.pricing.PriceBook;
import java.io.IOException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running application (Creek's ServiceMain): wires configuration, topology, metrics and HTTP
 * endpoints, starts Kafka Streams and reports how it ended. The failure policy: bad records are
 * dead-lettered by the handlers; an exception that escapes them replaces the stream thread once,
 * then shuts the client down; a client in ERROR makes the process exit non-zero.
 */
public final class StreamsApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);

  private final TokenmeterConfig config;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final HealthMetrics health = new HealthMetrics(registry);
  private final PriceBook priceBook = new PriceBook();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile KafkaStreams.State state = KafkaStreams.State.CREATED;
  private volatile boolean failed;
  private KafkaStreams streams;
  private HttpEndpoints http;
  private KafkaStreamsMetrics streamsMetrics;

  public StreamsApp(TokenmeterConfig config) {
    this.config = config;
  }

  public PriceBook priceBook() {
    return priceBook;
  }

  public HealthMetrics health() {
    return health;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public int httpPort() {
    return http.port();
  }

  /** Kafka Streams' own client metrics (thread time ratios, commit latency): for benchmarks and diagnostics. */
  public java.util.Map<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> streamsMetrics() {
    return streams == null ? java.util.Map.of() : streams.metrics();
  }

  public KafkaStreams.State state() {
    return state;
  }

  public Topology topology() {
    return new TopologyFactory(config, Topics.from(config), priceBook, health, new LlmMetrics(registry)).build();
  }

  public void start() throws IOException {
    LOG.info("tokenmeter configuration:");
    config.describe().forEach((k, v) -> LOG.info("  {} = {}", k, v));
    Topology topology = topology();
    LOG.info("Topology:\n{}", topology.describe());

    Properties props = config.streamsProperties();
    props.put(DeadLetterHandlers.METRICS_CONFIG, health);
    streams = new KafkaStreams(topology, props);
    streams.setStateListener((newState, oldState) -> {
      state = newState;
      health.streamsRunning(newState == KafkaStreams.State.RUNNING);
      LOG.info("Kafka Streams state {} -> {}", oldState, newState);
      if (newState == KafkaStreams.State.ERROR) {
        failed = true;
      }
      if (newState == KafkaStreams.State.NOT_RUNNING || newState == KafkaStreams.State.ERROR) {
        stopped.countDown();
      }
    });
    int[] replacements = {0};
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("Stream thread failed", e);
      // Transient faults (a broker bounce) deserve a second chance; a repeating failure does not.
      return replacements[0]++ < 1
          ? StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD
          : StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    http = new HttpEndpoints(config.getString(TokenmeterConfig.HTTP_HOST), config.getInt(TokenmeterConfig.HTTP_PORT),
        registry, () -> state != KafkaStreams.State.ERROR && state != KafkaStreams.State.NOT_RUNNING,
        () -> state == KafkaStreams.State.RUNNING, config.httpSecurity());
    LOG.info("HTTP endpoints on port {}: /metrics /health/live /health/ready", http.port());
    streams.start();
  }

  /** Blocks until the client stops; true when it stopped in ERROR. */
  public boolean awaitStop(Duration timeout) throws InterruptedException {
    if (timeout == null) {
      stopped.await();
    } else {
      stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    return failed;
  }

  public boolean failed() {
    return failed;
  }

  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (state == KafkaStreams.State.RUNNING) {
        return true;
      }
      if (failed) {
        return false;
      }
      Thread.sleep(50);
    }
    return false;
  }

  @Override
  public void close() {
    if (streams != null) {
      streams.close(Duration.ofSeconds(30));
    }
    if (streamsMetrics != null) {
      streamsMetrics.close();
    }
    if (http != null) {
      http.close();
    }
  }
}
