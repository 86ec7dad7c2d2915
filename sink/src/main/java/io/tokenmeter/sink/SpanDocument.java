package io.tokenmeter.sink;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One document for {@code llm-span-docs}.
 *
 * @param id   the document id and Kafka record key: {@code <traceIdHex>/<spanIdHex>}, lowercase
 *             (Data Prepper's own {@code trace-analytics-raw} document id is {@code ${traceId}/${spanId}})
 * @param json the UTF-8 JSON document
 */
public record SpanDocument(String id, byte[] json) {

    public SpanDocument {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(json, "json");
    }

    /** The document as a string (for tests and logs). */
    public String jsonString() {
        return new String(json, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpanDocument other && id.equals(other.id) && Arrays.equals(json, other.json);
    }

    @Override
    public int hashCode() {
        return 31 * id.hashCode() + Arrays.hashCode(json);
    }

    @Override
    public String toString() {
        return "SpanDocument[" + id + "]";
    }
}
