package io.tokenmeter.sink;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/** Shared pieces of both document layouts. */
final class JsonSupport {

    static final JsonFactory JSON = JsonFactory.builder().build();
    private static final HexFormat HEX = HexFormat.of();
    /** Cost attributes: always written as JSON doubles so even dynamic mapping never makes them long. */
    private static final Pattern COST_KEY = Pattern.compile("gen_ai\\.cost\\.[A-Za-z0-9_.]*_usd");

    private JsonSupport() {
    }

    interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    static byte[] bytes(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            body.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static String string(Body body) {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            body.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    static String hex(ByteString id) {
        return HEX.formatHex(id.toByteArray());
    }

    /** ISO-8601 with up to nanosecond precision, as Data Prepper writes it ({@code Instant#toString}). */
    static String iso(long unixNanos) {
        return Instant.ofEpochSecond(0L, unixNanos).toString();
    }

    static boolean isCostKey(String key) {
        return COST_KEY.matcher(key).matches();
    }

    /**
     * An int, double or bytes attribute value: ints as JSON integers except cost attributes, which
     * are written as doubles; doubles as JSON numbers (null for NaN and infinities); bytes as hex.
     */
    static void writeScalar(JsonGenerator json, String key, AnyValue value) throws IOException {
        switch (value.getValueCase()) {
            case INT_VALUE -> {
                if (isCostKey(key)) {
                    json.writeNumber((double) value.getIntValue());
                } else {
                    json.writeNumber(value.getIntValue());
                }
            }
            case DOUBLE_VALUE -> writeDouble(json, value.getDoubleValue());
            case BYTES_VALUE -> json.writeString(hex(value.getBytesValue()));
            default -> throw new IllegalArgumentException("not a scalar number or bytes value: " + value.getValueCase());
        }
    }

    /** A double as a JSON number, or null when it has no JSON form (NaN, infinities). */
    static void writeDouble(JsonGenerator json, double value) throws IOException {
        if (Double.isFinite(value)) {
            json.writeNumber(value);
        } else {
            json.writeNull();
        }
    }

    /**
     * Attributes by the JSON field name they get, without empty keys and without duplicates (the
     * last value wins), in first-seen order: OTLP does not forbid repeated keys, JSON backends
     * reject repeated fields.
     */
    static Map<String, KeyValue> byField(List<KeyValue> attributes, UnaryOperator<String> naming) {
        Map<String, KeyValue> fields = new LinkedHashMap<>(attributes.size() * 2);
        for (KeyValue kv : attributes) {
            if (!kv.getKey().isEmpty()) {
                fields.put(naming.apply(kv.getKey()), kv);
            }
        }
        return fields;
    }

    static String documentId(ByteString traceId, ByteString spanId) {
        return hex(traceId) + "/" + hex(spanId);
    }
}
