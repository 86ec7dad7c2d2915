package io.tokenmeter.bench;

import java.util.Arrays;

/**
 * One encoded OTLP {@code TracesData} record whose trace ids, span ids and span times can be
 * rewritten in place, so that a benchmark can send the same realistic bytes again and again as
 * new spans (the dedup store never sees a repeat) happening now (metric windows advance and
 * close). The offsets are found once by walking the protobuf wire format; a copy then costs one
 * array copy and a few hundred byte writes.
 *
 * <p>Ids are XOR-ed with a salt (the last 8 bytes of trace ids, all 8 bytes of span and parent
 * span ids), so parent links stay intact; times are shifted by a delta.
 */
public final class OtlpTemplate {
  private final byte[] bytes;
  private final int spans;
  private final int[] traceIds;
  private final int[] spanIds;
  private final int[] times;
  private final long maxEndNanos;
  private long appliedSalt;

  public OtlpTemplate(byte[] bytes) {
    this.bytes = bytes;
    Offsets o = new Offsets();
    walk(bytes, 0, bytes.length, 0, o);
    this.spans = o.spans;
    this.traceIds = Arrays.copyOf(o.traceIds, o.nTrace);
    this.spanIds = Arrays.copyOf(o.spanIds, o.nSpan);
    this.times = Arrays.copyOf(o.times, o.nTime);
    long max = 0;
    for (int t : times) {
      max = Math.max(max, readLong(bytes, t));
    }
    this.maxEndNanos = max;
  }

  public byte[] bytes() {
    return bytes;
  }

  public int spans() {
    return spans;
  }

  /** The latest time (epoch nanos) written in the record: the newest span end. */
  public long maxEndNanos() {
    return maxEndNanos;
  }

  /** A fresh copy with ids salted and times shifted by {@code deltaNanos}. */
  public byte[] copy(long salt, long deltaNanos) {
    byte[] out = bytes.clone();
    xorIds(out, salt);
    for (int t : times) {
      writeLong(out, t, readLong(out, t) + deltaNanos);
    }
    return out;
  }

  /** Re-salts the template's own bytes in place (no copy, no time shift): for single-threaded loops. */
  public void resaltInPlace(long salt) {
    xorIds(bytes, appliedSalt ^ salt);
    appliedSalt = salt;
  }

  /** Lowercase hex of the first span's trace id in {@code record} (the record key). */
  public String firstTraceIdHex(byte[] record) {
    return traceIds.length == 0 ? null : java.util.HexFormat.of().formatHex(record, traceIds[0], traceIds[0] + 16);
  }

  private void xorIds(byte[] out, long salt) {
    for (int p : traceIds) {
      xorLong(out, p + 8, salt);
    }
    for (int p : spanIds) {
      xorLong(out, p, salt);
    }
  }

  private static void xorLong(byte[] b, int at, long salt) {
    for (int i = 0; i < 8; i++) {
      b[at + i] ^= (byte) (salt >>> (8 * i));
    }
  }

  private static long readLong(byte[] b, int at) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[at + i] & 0xffL);
    }
    return v;
  }

  private static void writeLong(byte[] b, int at, long v) {
    for (int i = 0; i < 8; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }

  private static final int TRACES_DATA = 0;
  private static final int RESOURCE_SPANS = 1;
  private static final int SCOPE_SPANS = 2;
  private static final int SPAN = 3;
  private static final int EVENT = 4;

  private static final class Offsets {
    int spans;
    int[] traceIds = new int[64];
    int nTrace;
    int[] spanIds = new int[128];
    int nSpan;
    int[] times = new int[128];
    int nTime;

    void trace(int p) {
      if (nTrace == traceIds.length) {
        traceIds = Arrays.copyOf(traceIds, nTrace * 2);
      }
      traceIds[nTrace++] = p;
    }

    void span(int p) {
      if (nSpan == spanIds.length) {
        spanIds = Arrays.copyOf(spanIds, nSpan * 2);
      }
      spanIds[nSpan++] = p;
    }

    void time(int p) {
      if (nTime == times.length) {
        times = Arrays.copyOf(times, nTime * 2);
      }
      times[nTime++] = p;
    }
  }

  /** Walks one message of the given kind in [pos, end), recording id and time offsets. */
  private static void walk(byte[] b, int pos, int end, int kind, Offsets o) {
    if (kind == SPAN) {
      o.spans++;
    }
    int[] cursor = {pos};
    while (cursor[0] < end) {
      long tag = readVarint(b, cursor);
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      switch (wire) {
        case 0 -> readVarint(b, cursor);
        case 1 -> {
          if (kind == SPAN && (field == 7 || field == 8) || kind == EVENT && field == 1) {
            o.time(cursor[0]);
          }
          cursor[0] += 8;
        }
        case 5 -> cursor[0] += 4;
        case 2 -> {
          int len = (int) readVarint(b, cursor);
          int start = cursor[0];
          int child = childKind(kind, field);
          if (child >= 0) {
            walk(b, start, start + len, child, o);
          } else if (kind == SPAN && field == 1 && len == 16) {
            o.trace(start);
          } else if (kind == SPAN && (field == 2 || field == 4) && len == 8) {
            o.span(start);
          }
          cursor[0] = start + len;
        }
        default -> throw new IllegalArgumentException("unexpected wire type " + wire + " at " + cursor[0]);
      }
    }
  }

  private static int childKind(int kind, int field) {
    return switch (kind) {
      case TRACES_DATA -> field == 1 ? RESOURCE_SPANS : -1;
      case RESOURCE_SPANS -> field == 2 ? SCOPE_SPANS : -1;
      case SCOPE_SPANS -> field == 2 ? SPAN : -1;
      case SPAN -> field == 11 ? EVENT : -1;
      default -> -1;
    };
  }

  private static long readVarint(byte[] b, int[] cursor) {
    long v = 0;
    int shift = 0;
    while (true) {
      byte x = b[cursor[0]++];
      v |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
      shift += 7;
    }
  }
}
