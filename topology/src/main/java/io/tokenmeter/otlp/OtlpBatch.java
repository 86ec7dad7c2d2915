package io.tokenmeter.otlp;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One OTLP {@code TracesData} record, validated and indexed at the wire level, so that spans which
 * are neither LLM calls nor carriers of prompt content pass through tokenmeter as the bytes they
 * came in as: they are checked, never decoded into objects or encoded again. About two spans in
 * three are such spans, and decoding plus re-encoding them was most of the pipeline's cost.
 *
 * <p>A span is <em>plain</em> when none of its attribute keys starts with one of {@link #GATE_PREFIXES}
 * and it has no events. Every attribute that {@code DialectNormalizer} reads and every content
 * attribute that {@code ContentRedactor} drops starts with one of these prefixes (a test checks
 * this), so for a plain span both are no-ops. Every other span is decoded with protobuf's own
 * parser and handed to the processor as a {@link Span}.
 *
 * <p>Why a hand-written walker: protobuf-java parses whole messages only (its lazy fields need a
 * schema option OTLP does not set). The walker accepts a strict subset of what the parser accepts
 * (known fields with their declared wire types, valid UTF-8 in string fields, shallow nesting);
 * anything else makes it hand the span, or the whole record, to the parser, which then accepts or
 * rejects it exactly as before, with the same error.
 */
public final class OtlpBatch {
  /** Attribute-key prefixes that make a span worth decoding (LLM dialects and content attributes). */
  public static final List<String> GATE_PREFIXES = List.of(
      "gen_ai.", "llm.", "ai.", "openinference.", "input.value", "output.value", "traceloop.");
  private static final byte[][] GATES = GATE_PREFIXES.stream()
      .map(p -> p.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).toArray(byte[][]::new);

  /** In {@link #write}: emit the span's input bytes unchanged. */
  public static final byte[] KEEP = new byte[0];

  /** TracesData > ResourceSpans > ScopeSpans > Span: a span's message depth inside the record. */
  private static final int SPAN_DEPTH = 3;
  /** Deeper than this, the walker leaves the span to the parser (which enforces {@link OtlpDecoder#MAX_NESTING}). */
  private static final int WALK_MAX_DEPTH = OtlpDecoder.MAX_NESTING - 8;

  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LEN = 2;
  private static final int FIXED32 = 5;

  private final byte[] bytes;
  private final List<ResourceEntry> resources;
  private final List<ScopeEntry> scopes;
  private final int spanCount;
  private final int[] spanStart;
  private final int[] spanEnd;
  /** Decoded spans; null for a plain span. */
  private final Span[] decoded;
  /** Trace id (16 bytes) then span id (8 bytes) of span i at 24 * i: one layout for every span. */
  private final byte[] ids;
  private TracesData traces;

  private record ResourceEntry(Resource resource, int[] verbatim, int firstScope, int endScope) {}

  private record ScopeEntry(int[] verbatim, int firstSpan, int endSpan) {}

  private OtlpBatch(byte[] bytes, List<ResourceEntry> resources, List<ScopeEntry> scopes, int spanCount,
      int[] spanStart, int[] spanEnd, Span[] decoded, byte[] ids) {
    this.bytes = bytes;
    this.resources = resources;
    this.scopes = scopes;
    this.spanCount = spanCount;
    this.spanStart = spanStart;
    this.spanEnd = spanEnd;
    this.decoded = decoded;
    this.ids = ids;
  }

  /**
   * Decodes one {@code otlp_spans} record (protobuf or OTLP/JSON), with the checks and the error
   * reasons of {@link OtlpDecoder#decode(byte[], int)}.
   */
  public static OtlpBatch decode(byte[] bytes, int maxRecordBytes) {
    OtlpDecoder.checkSize(bytes, maxRecordBytes);
    if (OtlpDecoder.looksLikeJson(bytes)) {
      return of(OtlpDecoder.decodeJson(bytes));
    }
    OtlpBatch batch = new Walker(bytes, false).walk();
    if (batch == null) {
      // Something the walker does not take on trust: the parser decides, with its own error.
      batch = of(OtlpDecoder.decodeProtobuf(bytes));
    }
    return batch;
  }

  /** The batch of an already decoded (and so valid) message. */
  public static OtlpBatch of(TracesData data) {
    OtlpBatch batch = new Walker(data.toByteArray(), true).walk();
    if (batch == null) {
      throw new IllegalStateException("protobuf's own encoding of a TracesData did not walk");
    }
    batch.traces = data;
    return batch;
  }

  /** The record's protobuf bytes (the input as it came, or the canonical encoding of a decoded one). */
  public byte[] bytes() {
    return bytes;
  }

  /** The whole message as objects (parsed on first use: tests, sink documents). */
  public TracesData traces() {
    if (traces == null) {
      try {
        traces = TracesData.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("a validated batch no longer parses", e);
      }
    }
    return traces;
  }

  public int resourceCount() {
    return resources.size();
  }

  public Resource resource(int r) {
    return resources.get(r).resource;
  }

  public int firstScope(int r) {
    return resources.get(r).firstScope;
  }

  public int endScope(int r) {
    return resources.get(r).endScope;
  }

  public int firstSpan(int scope) {
    return scopes.get(scope).firstSpan;
  }

  public int endSpan(int scope) {
    return scopes.get(scope).endSpan;
  }

  public int spanCount() {
    return spanCount;
  }

  /** True when span i is neither an LLM candidate nor a content carrier: it passes through as bytes. */
  public boolean isPlain(int i) {
    return decoded[i] == null;
  }

  /** The decoded span; a plain span is parsed on demand (not on the hot path). */
  public Span span(int i) {
    if (decoded[i] != null) {
      return decoded[i];
    }
    try {
      return Span.parseFrom(CodedInputStream.newInstance(bytes, spanStart[i], spanEnd[i] - spanStart[i]));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The array that holds span i's trace id at {@link #traceIdOffset} and span id at {@link #spanIdOffset}. */
  public byte[] ids() {
    return ids;
  }

  public int traceIdOffset(int i) {
    return 24 * i;
  }

  public int spanIdOffset(int i) {
    return 24 * i + 16;
  }

  public boolean sameTrace(int i, int j) {
    return Arrays.equals(ids, 24 * i, 24 * i + 16, ids, 24 * j, 24 * j + 16);
  }

  public String traceIdHex(int i) {
    return java.util.HexFormat.of().formatHex(ids, 24 * i, 24 * i + 16);
  }

  /**
   * Writes a batch of the same resources and scopes: {@code spans[i]} is null to drop span i,
   * {@link #KEEP} for its input bytes, or a new encoding of it. Scopes and resources left without
   * spans are dropped; null when nothing is left.
   */
  public byte[] write(byte[][] spans) {
    int[] scopeSize = new int[scopes.size()];
    int[] resourceSize = new int[resources.size()];
    int total = 0;
    for (int r = 0; r < resources.size(); r++) {
      ResourceEntry re = resources.get(r);
      int rs = -1;
      for (int s = re.firstScope; s < re.endScope; s++) {
        ScopeEntry se = scopes.get(s);
        int size = -1;
        for (int i = se.firstSpan; i < se.endSpan; i++) {
          int len = outLength(spans[i], i);
          if (len >= 0) {
            size = Math.max(size, 0) + 1 + CodedOutputStream.computeUInt32SizeNoTag(len) + len;
          }
        }
        scopeSize[s] = size < 0 ? -1 : size + verbatimLength(se.verbatim);
        if (size >= 0) {
          rs = Math.max(rs, 0) + 1 + CodedOutputStream.computeUInt32SizeNoTag(scopeSize[s]) + scopeSize[s];
        }
      }
      resourceSize[r] = rs < 0 ? -1 : rs + verbatimLength(re.verbatim);
      if (rs >= 0) {
        total += 1 + CodedOutputStream.computeUInt32SizeNoTag(resourceSize[r]) + resourceSize[r];
      }
    }
    if (total == 0) {
      return null;
    }
    byte[] out = new byte[total];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      for (int r = 0; r < resources.size(); r++) {
        if (resourceSize[r] < 0) {
          continue;
        }
        ResourceEntry re = resources.get(r);
        o.writeTag(1, LEN); // TracesData.resource_spans
        o.writeUInt32NoTag(resourceSize[r]);
        writeVerbatim(o, re.verbatim);
        for (int s = re.firstScope; s < re.endScope; s++) {
          if (scopeSize[s] < 0) {
            continue;
          }
          ScopeEntry se = scopes.get(s);
          o.writeTag(2, LEN); // ResourceSpans.scope_spans
          o.writeUInt32NoTag(scopeSize[s]);
          writeVerbatim(o, se.verbatim);
          for (int i = se.firstSpan; i < se.endSpan; i++) {
            byte[] span = spans[i];
            if (span == null) {
              continue;
            }
            o.writeTag(2, LEN); // ScopeSpans.spans
            if (span == KEEP) {
              o.writeUInt32NoTag(spanEnd[i] - spanStart[i]);
              o.writeRawBytes(bytes, spanStart[i], spanEnd[i] - spanStart[i]);
            } else {
              o.writeUInt32NoTag(span.length);
              o.writeRawBytes(span);
            }
          }
        }
      }
      o.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private int outLength(byte[] span, int i) {
    return span == null ? -1 : span == KEEP ? spanEnd[i] - spanStart[i] : span.length;
  }

  private static int verbatimLength(int[] ranges) {
    int n = 0;
    for (int k = 0; k < ranges.length; k += 2) {
      n += ranges[k + 1] - ranges[k];
    }
    return n;
  }

  private void writeVerbatim(CodedOutputStream o, int[] ranges) throws IOException {
    for (int k = 0; k < ranges.length; k += 2) {
      o.writeRawBytes(bytes, ranges[k], ranges[k + 1] - ranges[k]);
    }
  }

  /** One pass over the record; null when it meets anything it does not take on trust. */
  private static final class Walker {
    private final byte[] b;
    /** Input that protobuf itself wrote from a valid message: unknown fields may be skipped and kept. */
    private final boolean trusted;
    private int pos;
    private final List<ResourceEntry> resources = new ArrayList<>();
    private final List<ScopeEntry> scopes = new ArrayList<>();
    private int spans;
    // grown by doubling: a one-span record (common with partition_traces_by_id) stays small
    private int[] start = new int[16];
    private int[] end = new int[16];
    private Span[] decoded = new Span[16];
    private byte[] ids = new byte[24 * 16];
    /** Where the plain-span walk last saw the ids (the parser keeps the last occurrence too). */
    private int traceOff;
    private int traceLen;
    private int spanOff;
    private int spanLen;
    /** Reported once the whole record parsed: a parse error elsewhere takes precedence, as in {@link OtlpDecoder}. */
    private OtlpDecodeException idError;

    Walker(byte[] b, boolean trusted) {
      this.b = b;
      this.trusted = trusted;
    }

    OtlpBatch walk() {
      try {
        pos = 0;
        while (pos < b.length) {
          int tag = tag(b.length);
          if (tag == 10) { // resource_spans, length-delimited
            int len = length(b.length);
            int next = pos + len;
            if (!resourceSpans(pos, next)) {
              return null;
            }
            pos = next;
          } else if (!trusted || !skipUnknown(tag)) {
            return null; // top-level unknowns are dropped from the output, as before
          }
        }
      } catch (Malformed e) {
        return null;
      }
      // OtlpDecoder.checkIds's rules, in its order: ids first, then at least one span
      if (idError != null) {
        throw idError;
      }
      if (spans == 0) {
        throw new OtlpDecodeException("not_otlp", "the batch holds no span: not OTLP traces");
      }
      return new OtlpBatch(b, resources, scopes, spans, start, end, decoded, ids);
    }

    private boolean resourceSpans(int from, int to) throws Malformed {
      int firstScope = scopes.size();
      Envelope<Resource> e = envelope(from, to, Resource.parser(), 2, this::scopeSpans);
      if (e == null) {
        return false;
      }
      resources.add(new ResourceEntry(e.head == null ? Resource.getDefaultInstance() : e.head, e.verbatim, firstScope,
          scopes.size()));
      return true;
    }

    private boolean scopeSpans(int from, int to) throws Malformed {
      int firstSpan = spans;
      Envelope<InstrumentationScope> e = envelope(from, to, InstrumentationScope.parser(), 3, (a, z) -> {
        span(a, z);
        return true;
      });
      if (e == null) {
        return false;
      }
      scopes.add(new ScopeEntry(e.verbatim, firstSpan, spans));
      return true;
    }

    /** Walks the part of [from, to) that {@code children} does not: a child's range, or false to give up. */
    private interface Children {
      boolean walk(int from, int to) throws Malformed;
    }

    private record Envelope<T>(T head, int[] verbatim) {}

    /**
     * ResourceSpans and ScopeSpans share one layout: 1 = the head message (resource or scope,
     * validated by its parser at {@code depth}), 2 = the repeated children, 3 = schema_url. The head,
     * schema_url and (trusted input only) unknown fields are kept as verbatim ranges. Null when the
     * envelope holds anything the walker does not take on trust.
     */
    private <T> Envelope<T> envelope(int from, int to, com.google.protobuf.Parser<T> headParser, int depth,
        Children children) throws Malformed {
      pos = from;
      IntList verbatim = new IntList();
      T head = null;
      while (pos < to) {
        int fieldStart = pos;
        int tag = tag(to);
        if (tag == 10 && head == null) { // head
          int len = length(to);
          head = parse(headParser, pos, len, depth);
          pos += len;
          verbatim.add(fieldStart, pos);
        } else if (tag == 18) { // children
          int len = length(to);
          int next = pos + len;
          if (!children.walk(pos, next)) {
            return null;
          }
          pos = next;
        } else if (tag == 26) { // schema_url
          int len = length(to);
          utf8OrThrow(pos, len);
          pos += len;
          verbatim.add(fieldStart, pos);
        } else if (trusted && skipUnknown(tag)) {
          verbatim.add(fieldStart, pos);
        } else {
          return null;
        }
      }
      return new Envelope<>(head, verbatim.toArray());
    }

    private void span(int from, int to) throws Malformed {
      int i = spans++;
      if (i == start.length) {
        int n = i * 2;
        start = Arrays.copyOf(start, n);
        end = Arrays.copyOf(end, n);
        decoded = Arrays.copyOf(decoded, n);
        ids = Arrays.copyOf(ids, 24 * n);
      }
      start[i] = from;
      end[i] = to;
      if (plainSpan(from, to)) {
        if (traceLen != 16 || spanLen != 8) {
          idError(traceLen, spanLen);
        } else {
          System.arraycopy(b, traceOff, ids, 24 * i, 16);
          System.arraycopy(b, spanOff, ids, 24 * i + 16, 8);
        }
      } else {
        Span span = parse(Span.parser(), from, to - from, SPAN_DEPTH);
        if (span.getTraceId().size() != 16 || span.getSpanId().size() != 8) {
          idError(span.getTraceId().size(), span.getSpanId().size());
        } else {
          span.getTraceId().copyTo(ids, 24 * i);
          span.getSpanId().copyTo(ids, 24 * i + 16);
        }
        decoded[i] = span;
      }
      pos = to;
    }

    private void idError(int trace, int span) {
      if (idError == null) {
        idError = new OtlpDecodeException("not_otlp", "a span has a " + trace + "-byte trace id and a " + span
            + "-byte span id (OTLP: 16 and 8): not OTLP traces");
      }
    }

    /** Walks a span; true only when it is plain and everything in it is as the parser would accept it. */
    private boolean plainSpan(int from, int to) {
      traceLen = 0;
      spanLen = 0;
      pos = from;
      try {
        while (pos < to) {
          int tag = tag(to);
          int field = tag >>> 3;
          int wire = tag & 7;
          switch (field) {
            case 1, 2, 4 -> { // trace_id, span_id, parent_span_id
              int len = lengthOf(wire, to);
              if (field == 1) {
                traceOff = pos;
                traceLen = len;
              } else if (field == 2) {
                spanOff = pos;
                spanLen = len;
              }
              pos += len;
            }
            case 3, 5 -> string(wire, to); // trace_state, name
            case 6, 10, 12, 14 -> varint(wire, to); // kind, dropped counts
            case 7, 8 -> fixed(wire, FIXED64, 8, to); // start, end
            case 16 -> fixed(wire, FIXED32, 4, to); // flags
            case 9 -> { // attributes: the gate looks at their keys
              int len = lengthOf(wire, to);
              int next = pos + len;
              if (!keyValue(pos, next, SPAN_DEPTH + 1, true)) {
                return false;
              }
              pos = next;
            }
            case 13 -> { // links
              int len = lengthOf(wire, to);
              int next = pos + len;
              if (!link(pos, next, SPAN_DEPTH + 1)) {
                return false;
              }
              pos = next;
            }
            case 15 -> { // status
              int len = lengthOf(wire, to);
              int next = pos + len;
              if (!status(pos, next)) {
                return false;
              }
              pos = next;
            }
            default -> { // events (11): content may hide there; unknown fields: the parser's business
              return false;
            }
          }
        }
        return true;
      } catch (Malformed e) {
        return false;
      }
    }

    private boolean keyValue(int from, int to, int depth, boolean gated) throws Malformed {
      if (depth > WALK_MAX_DEPTH) {
        return false;
      }
      pos = from;
      while (pos < to) {
        int tag = tag(to);
        if (tag == 10) { // key
          int len = length(to);
          if (gated && gate(pos, len)) {
            return false;
          }
          utf8OrThrow(pos, len);
          pos += len;
        } else if (tag == 18) { // value
          int len = length(to);
          int next = pos + len;
          if (!anyValue(pos, next, depth + 1)) {
            return false;
          }
          pos = next;
        } else {
          return false;
        }
      }
      return true;
    }

    private boolean anyValue(int from, int to, int depth) throws Malformed {
      if (depth > WALK_MAX_DEPTH) {
        return false;
      }
      pos = from;
      while (pos < to) {
        int tag = tag(to);
        int field = tag >>> 3;
        int wire = tag & 7;
        switch (field) {
          case 1 -> string(wire, to); // string_value
          case 2, 3 -> varint(wire, to); // bool_value, int_value
          case 4 -> fixed(wire, FIXED64, 8, to); // double_value
          case 7 -> pos += lengthOf(wire, to); // bytes_value
          case 5, 6 -> { // array_value, kvlist_value: both hold one repeated field 1
            int len = lengthOf(wire, to);
            int next = pos + len;
            if (!values(pos, next, depth + 1, field == 6)) {
              return false;
            }
            pos = next;
          }
          default -> {
            return false;
          }
        }
      }
      return true;
    }

    private boolean values(int from, int to, int depth, boolean keyValues) throws Malformed {
      if (depth > WALK_MAX_DEPTH) {
        return false;
      }
      pos = from;
      while (pos < to) {
        if (tag(to) != 10) {
          return false;
        }
        int len = length(to);
        int next = pos + len;
        if (!(keyValues ? keyValue(pos, next, depth + 1, false) : anyValue(pos, next, depth + 1))) {
          return false;
        }
        pos = next;
      }
      return true;
    }

    private boolean link(int from, int to, int depth) throws Malformed {
      pos = from;
      while (pos < to) {
        int tag = tag(to);
        int field = tag >>> 3;
        int wire = tag & 7;
        switch (field) {
          case 1, 2 -> pos += lengthOf(wire, to);
          case 3 -> string(wire, to);
          case 4 -> {
            int len = lengthOf(wire, to);
            int next = pos + len;
            if (!keyValue(pos, next, depth + 1, false)) {
              return false;
            }
            pos = next;
          }
          case 5 -> varint(wire, to);
          case 6 -> fixed(wire, FIXED32, 4, to);
          default -> {
            return false;
          }
        }
      }
      return true;
    }

    private boolean status(int from, int to) throws Malformed {
      pos = from;
      while (pos < to) {
        int tag = tag(to);
        int field = tag >>> 3;
        int wire = tag & 7;
        if (field == 2) {
          string(wire, to);
        } else if (field == 3) {
          varint(wire, to);
        } else {
          return false;
        }
      }
      return true;
    }

    /** True when the key starts with one of the gate prefixes. */
    private boolean gate(int off, int len) {
      for (byte[] g : GATES) {
        if (len >= g.length && Arrays.equals(b, off, off + g.length, g, 0, g.length)) {
          return true;
        }
      }
      return false;
    }

    private void string(int wire, int limit) throws Malformed {
      int len = lengthOf(wire, limit);
      utf8OrThrow(pos, len);
      pos += len;
    }

    private void utf8OrThrow(int off, int len) throws Malformed {
      for (int k = off; k < off + len; k++) {
        if (b[k] < 0) {
          if (!UnsafeByteOperations.unsafeWrap(b, off, len).isValidUtf8()) {
            throw Malformed.INSTANCE;
          }
          return;
        }
      }
    }

    private int lengthOf(int wire, int limit) throws Malformed {
      if (wire != LEN) {
        throw Malformed.INSTANCE;
      }
      return length(limit);
    }

    private void varint(int wire, int limit) throws Malformed {
      if (wire != VARINT) {
        throw Malformed.INSTANCE;
      }
      for (int k = 0; k < 10; k++) {
        if (pos >= limit) {
          throw Malformed.INSTANCE;
        }
        if (b[pos++] >= 0) {
          return;
        }
      }
      throw Malformed.INSTANCE;
    }

    private void fixed(int wire, int expected, int size, int limit) throws Malformed {
      if (wire != expected || limit - pos < size) {
        throw Malformed.INSTANCE;
      }
      pos += size;
    }

    /** A tag of a field number above 0; at most 5 bytes. */
    private int tag(int limit) throws Malformed {
      int tag = varint32(limit);
      if (tag >>> 3 == 0) {
        throw Malformed.INSTANCE;
      }
      return tag;
    }

    /** A length that fits before the limit. */
    private int length(int limit) throws Malformed {
      int len = varint32(limit);
      if (len < 0 || len > limit - pos) {
        throw Malformed.INSTANCE;
      }
      return len;
    }

    private int varint32(int limit) throws Malformed {
      int result = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        if (pos >= limit) {
          throw Malformed.INSTANCE;
        }
        byte x = b[pos++];
        result |= (x & 0x7f) << shift;
        if (x >= 0) {
          if (shift == 28 && (x & 0xf0) != 0) {
            throw Malformed.INSTANCE; // more than 32 bits: leave it to the parser
          }
          return result;
        }
      }
      throw Malformed.INSTANCE;
    }

    /** Skips an unknown field of trusted input with protobuf's own reader (groups included). */
    private boolean skipUnknown(int tag) {
      try {
        CodedInputStream in = CodedInputStream.newInstance(b, pos, b.length - pos);
        if (!in.skipField(tag)) {
          return false;
        }
        pos += in.getTotalBytesRead();
        return true;
      } catch (IOException e) {
        return false;
      }
    }

    private <T> T parse(com.google.protobuf.Parser<T> parser, int off, int len, int depth) throws Malformed {
      try {
        CodedInputStream in = CodedInputStream.newInstance(b, off, len);
        in.setRecursionLimit(OtlpDecoder.MAX_NESTING - depth);
        T value = parser.parseFrom(in);
        in.checkLastTagWas(0);
        return value;
      } catch (IOException | RuntimeException e) {
        throw Malformed.INSTANCE;
      }
    }
  }

  /** Ends a walk; the parser then decides (and names the error). Stackless: it is control flow. */
  private static final class Malformed extends Exception {
    static final Malformed INSTANCE = new Malformed();

    private Malformed() {
      super(null, null, false, false);
    }
  }

  private static final class IntList {
    private int[] a = new int[4];
    private int n;

    void add(int from, int to) {
      if (n + 2 > a.length) {
        a = Arrays.copyOf(a, a.length * 2);
      }
      a[n++] = from;
      a[n++] = to;
    }

    int[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }
}
