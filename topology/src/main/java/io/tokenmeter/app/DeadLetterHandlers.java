package io.tokenmeter.app;

import io.tokenmeter.metrics.HealthMetrics;
import io.tokenmeter.otlp.OtlpDecodeException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The failure policy for bad records: Kafka Streams' own log-and-continue handlers with its
 * dead-letter queue (KIP-1034, {@code errors.dead.letter.queue.topic.name}), which writes the
 * original key and value with {@code __streams.errors.*} headers (exception, message, stack trace,
 * topic, partition, offset) inside the same transaction. We add a short reason code header
 * {@value #REASON_HEADER} and count every dead letter by reason.
 */
public final class DeadLetterHandlers {
  public static final String REASON_HEADER = "tokenmeter.reason";
  /** Config key of the payload policy: {@code full} or {@code metadata} (value dropped). */
  public static final String PAYLOAD_CONFIG = "tokenmeter.dead.letters.payload";
  /** Config key under which the {@link HealthMetrics} instance reaches the handlers. */
  public static final String METRICS_CONFIG = "tokenmeter.health.metrics";

  private DeadLetterHandlers() {}

  static String reason(Exception e) {
    Throwable t = e;
    while (t != null) {
      if (t instanceof OtlpDecodeException d) {
        return d.reason();
      }
      t = t.getCause();
    }
    return "processing_error";
  }

  /** Adds the reason header; in metadata mode, drops the value (the payload may hold prompts). */
  private static List<ProducerRecord<byte[], byte[]>> tag(List<ProducerRecord<byte[], byte[]>> records, String reason,
      boolean metadataOnly) {
    List<ProducerRecord<byte[], byte[]>> out = new java.util.ArrayList<>(records.size());
    for (ProducerRecord<byte[], byte[]> r : records) {
      r.headers().add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
      // An input whose output was too large for its topic is likely too large for this one too.
      if (metadataOnly || reason.equals("output_too_large")) {
        // The exception's message and stack trace can quote the payload: keep only its class.
        String exception = headerValue(r, "__streams.errors.exception");
        r.headers().remove("__streams.errors.message");
        r.headers().remove("__streams.errors.stacktrace");
        r.headers().add("__streams.errors.message", (reason + (exception == null ? "" : " (" + exception + ")"))
            .getBytes(StandardCharsets.UTF_8));
        out.add(new ProducerRecord<>(r.topic(), r.partition(), r.timestamp(), r.key(), null, r.headers()));
      } else {
        out.add(r);
      }
    }
    return out;
  }

  private static String headerValue(ProducerRecord<byte[], byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static boolean metadataOnly(Map<String, ?> configs) {
    return "metadata".equals(String.valueOf(configs.get(PAYLOAD_CONFIG)));
  }

  /** What both handlers do with the dead-letter records Kafka Streams built: count, tag, trim. */
  private record Policy(HealthMetrics metrics, boolean metadataOnly) {
    static Policy from(Map<String, ?> configs) {
      Object m = configs.get(METRICS_CONFIG);
      return new Policy(m instanceof HealthMetrics h ? h : HealthMetrics.inMemory(), DeadLetterHandlers.metadataOnly(configs));
    }

    List<ProducerRecord<byte[], byte[]>> apply(List<ProducerRecord<byte[], byte[]>> records, Exception exception) {
      String reason = reason(exception);
      metrics.deadLettered(reason);
      return tag(records, reason, metadataOnly);
    }
  }

  /** Records that do not decode as OTLP. */
  public static final class Deserialization extends LogAndContinueExceptionHandler {
    private Policy policy;

    @Override
    public void configure(Map<String, ?> configs) {
      super.configure(configs);
      policy = Policy.from(configs);
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context,
        ConsumerRecord<byte[], byte[]> record, Exception exception) {
      DeserializationExceptionHandler.Response r = super.handleError(context, record, exception);
      return DeserializationExceptionHandler.Response.resume(policy.apply(r.deadLetterQueueRecords(), exception));
    }
  }

  /** Records whose processing threw: a bug or an input no rule foresaw; the stream goes on. */
  public static final class Processing extends LogAndContinueProcessingExceptionHandler {
    private Policy policy;

    @Override
    public void configure(Map<String, ?> configs) {
      super.configure(configs);
      policy = Policy.from(configs);
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record,
        Exception exception) {
      ProcessingExceptionHandler.Response r = super.handleError(context, record, exception);
      return ProcessingExceptionHandler.Response.resume(policy.apply(r.deadLetterQueueRecords(), exception));
    }
  }
}
