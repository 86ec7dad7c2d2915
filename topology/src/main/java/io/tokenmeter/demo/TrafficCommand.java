package io.tokenmeter.demo;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tokenmeter traffic}: sends the demo's sample LLM traffic to an OpenTelemetry Collector
 * over OTLP/HTTP (protobuf), the way an instrumented application would. Used by the
 * docker-compose stack; needs no API keys.
 */
@Command(name = "traffic", mixinStandardHelpOptions = true,
    description = "Send sample LLM spans (several instrumentation dialects) to a Collector over OTLP/HTTP.")
public final class TrafficCommand implements Callable<Integer> {
  @Option(names = "--otlp-endpoint", defaultValue = "http://localhost:4318",
      description = "Collector OTLP/HTTP base URL; spans go to <endpoint>/v1/traces (default ${DEFAULT-VALUE}).")
  String endpoint;

  @Option(names = "--rate", defaultValue = "20", description = "Requests (traces) per second (default ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--duration", description = "Stop after this long (60s, 5m, PT1M); default: until stopped.")
  String duration;

  @Option(names = "--service-name", defaultValue = "assistant-api", description = "service.name of the spans (default ${DEFAULT-VALUE}).")
  String serviceName;

  @Override
  public Integer call() throws Exception {
    Duration runFor = duration == null ? null : DemoCommand.parseDuration(duration);
    String url = endpoint.replaceAll("/+$", "") + "/v1/traces";
    System.out.println("Sending sample LLM traffic to " + url + " at " + rate + " requests/s");
    try (SdkTracerProvider tracing = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.builder()
            .put("service.name", serviceName).put("deployment.environment.name", "demo").build())))
        .addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(url).build())
            .setScheduleDelay(Duration.ofMillis(500)).build())
        .build()) {
      SampleTraffic traffic = new SampleTraffic(tracing.get("tokenmeter-traffic"), System.nanoTime());
      long started = System.nanoTime();
      long sent = 0;
      while (runFor == null || System.nanoTime() - started < runFor.toNanos()) {
        traffic.emitOne();
        sent++;
        long wait = started + sent * 1_000_000_000L / Math.max(1, rate) - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        if (sent % (rate * 10L) == 0) {
          System.out.println("sent " + sent + " requests");
        }
      }
      tracing.forceFlush().join(10, TimeUnit.SECONDS);
      System.out.println("sent " + sent + " requests in all");
    }
    return 0;
  }
}
