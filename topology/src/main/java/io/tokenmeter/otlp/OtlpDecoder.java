package io.tokenmeter.otlp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.io.IOException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

/**
 * Decodes one {@code otlp_spans} record: OTLP {@code TracesData} as protobuf (the Collector's
 * {@code otlp_proto} encoding) or as OTLP/JSON ({@code otlp_json}), told apart by the first
 * non-blank byte. Protobuf's own JSON parser is used for OTLP/JSON after the one deviation the
 * OTLP spec makes from the canonical protobuf mapping is undone: ids are hex, not base64.
 */
public final class OtlpDecoder {
  /** Deeper than any real OTLP payload (AnyValue nesting), shallower than a stack overflow. */
  public static final int MAX_NESTING = 64;

  private static final ObjectMapper JSON = new ObjectMapper();

  static {
    JSON.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING * 2).build());
  }

  private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser().ignoringUnknownFields();

  private OtlpDecoder() {}

  /**
   * The whole record as objects. The pipeline reads records through {@link OtlpBatch}, which
   * accepts and rejects exactly what this does, with the same reasons ({@code OtlpBatchTest}).
   */
  public static TracesData decode(byte[] bytes, int maxRecordBytes) {
    checkSize(bytes, maxRecordBytes);
    return looksLikeJson(bytes) ? decodeJson(bytes) : decodeProtobuf(bytes);
  }

  static void checkSize(byte[] bytes, int maxRecordBytes) {
    if (bytes == null || bytes.length == 0) {
      throw new OtlpDecodeException("empty", "record has no value");
    }
    if (bytes.length > maxRecordBytes) {
      throw new OtlpDecodeException("too_large",
          "record of " + bytes.length + " bytes exceeds the limit of " + maxRecordBytes + " bytes");
    }
  }

  /** OTLP/JSON starts with '{' after blanks; a protobuf TracesData starts with a field tag. */
  static boolean looksLikeJson(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        return b == '{';
      }
    }
    return false;
  }

  static TracesData decodeProtobuf(byte[] bytes) {
    TracesData data;
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.setRecursionLimit(MAX_NESTING);
      data = TracesData.parseFrom(in);
      in.checkLastTagWas(0);
    } catch (InvalidProtocolBufferException e) {
      throw new OtlpDecodeException("invalid_protobuf", "not an OTLP TracesData protobuf: " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      throw new OtlpDecodeException("invalid_protobuf", "not an OTLP TracesData protobuf: " + e, e);
    }
    // Any protobuf parses as TracesData with its fields unknown; real OTLP has resource_spans.
    if (data.getResourceSpansCount() == 0 && !data.getUnknownFields().asMap().isEmpty()) {
      throw new OtlpDecodeException("not_otlp", "protobuf record carries no resource_spans (fields "
          + data.getUnknownFields().asMap().keySet() + "): not an OTLP TracesData");
    }
    return checkIds(data);
  }

  /**
   * OTLP metrics and logs, and other messages, can parse as TracesData by accident; real spans
   * have a 16-byte trace id and an 8-byte span id, and a batch without spans carries nothing.
   */
  static TracesData checkIds(TracesData data) {
    int spans = 0;
    for (var rs : data.getResourceSpansList()) {
      for (var ss : rs.getScopeSpansList()) {
        for (var span : ss.getSpansList()) {
          spans++;
          if (span.getTraceId().size() != 16 || span.getSpanId().size() != 8) {
            throw new OtlpDecodeException("not_otlp", "a span has a " + span.getTraceId().size() + "-byte trace id and a "
                + span.getSpanId().size() + "-byte span id (OTLP: 16 and 8): not OTLP traces");
          }
        }
      }
    }
    if (spans == 0) {
      throw new OtlpDecodeException("not_otlp", "the batch holds no span: not OTLP traces");
    }
    return data;
  }

  static TracesData decodeJson(byte[] bytes) {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      // Location only: parser messages can quote the payload, which may hold prompts.
      throw new OtlpDecodeException("invalid_json", "not valid JSON (" + e.getClass().getSimpleName()
          + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr()) + ")");
    } catch (IOException e) {
      throw new OtlpDecodeException("invalid_json", "not valid JSON (" + e.getClass().getSimpleName() + ")");
    }
    if (root == null || !root.isObject() || !root.has("resourceSpans") && !root.has("resource_spans")) {
      throw new OtlpDecodeException("not_otlp", "JSON record has no resourceSpans: not OTLP/JSON TracesData");
    }
    try {
      hexIdsToBase64(root, 0);
      TracesData.Builder builder = TracesData.newBuilder();
      JSON_PARSER.merge(JSON.writeValueAsString(root), builder);
      return checkIds(builder.build());
    } catch (IOException | IllegalArgumentException e) {
      // Not the parser's message, and no cause: both quote the offending value, which may be a prompt.
      throw new OtlpDecodeException("invalid_otlp_json", "OTLP/JSON does not match the schema ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  /** OTLP/JSON writes trace and span ids as hex; protobuf's JSON mapping expects base64. */
  private static void hexIdsToBase64(JsonNode node, int depth) {
    if (depth > MAX_NESTING * 2) {
      throw new OtlpDecodeException("invalid_otlp_json", "OTLP/JSON nests deeper than " + MAX_NESTING, null);
    }
    if (node instanceof ObjectNode obj) {
      Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        String k = e.getKey();
        JsonNode v = e.getValue();
        if (v.isTextual() && isIdField(k)) {
          e.setValue(new TextNode(hexToBase64(k, v.asText())));
        } else if (v.isContainerNode()) {
          hexIdsToBase64(v, depth + 1);
        }
      }
    } else if (node instanceof ArrayNode arr) {
      for (JsonNode v : arr) {
        hexIdsToBase64(v, depth + 1);
      }
    }
  }

  private static boolean isIdField(String k) {
    return k.equals("traceId") || k.equals("spanId") || k.equals("parentSpanId")
        || k.equals("trace_id") || k.equals("span_id") || k.equals("parent_span_id");
  }

  private static String hexToBase64(String field, String hex) {
    if (hex.isEmpty()) {
      return "";
    }
    try {
      return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
    } catch (IllegalArgumentException e) {
      // ids are not content: naming the bad one helps whoever fixes the producer
      throw new OtlpDecodeException("invalid_otlp_json", "OTLP/JSON does not match the schema: " + field + " '"
          + truncate(hex) + "' is not hex", null);
    }
  }

  private static String truncate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
