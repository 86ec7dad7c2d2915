package io.tokenmeter.metrics;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.TreeMap;

/** Compact binary form of a MetricAggregate for stores and repartition topics (JSON stays the public format). */
final class AggregateCodec {
  static final byte VERSION = 1;

  private AggregateCodec() {}

  static byte[] write(MetricAggregate a) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      SeriesLabels l = a.labels == null ? new SeriesLabels("", "", "", "", "") : a.labels;
      out.writeUTF(l.service());
      out.writeUTF(l.provider());
      out.writeUTF(l.model());
      out.writeUTF(l.operation());
      out.writeUTF(l.feature());
      map(out, a.requests);
      map(out, a.errors);
      map(out, a.tokens);
      map(out, a.costUsd);
      map(out, a.durationBuckets);
      dec(out, a.unpricedRequests);
      dec(out, a.durationSumSeconds);
      dec(out, a.durationCount);
      out.writeLong(a.lastSpanEndMs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static MetricAggregate read(byte[] b) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(b))) {
      in.readByte();
      MetricAggregate a = new MetricAggregate(new SeriesLabels(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(),
          in.readUTF()));
      a.requests = map(in);
      a.errors = map(in);
      a.tokens = map(in);
      a.costUsd = map(in);
      a.durationBuckets = map(in);
      a.unpricedRequests = dec(in);
      a.durationSumSeconds = dec(in);
      a.durationCount = dec(in);
      a.lastSpanEndMs = in.readLong();
      return a;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void map(DataOutputStream out, TreeMap<String, BigDecimal> m) throws IOException {
    out.writeShort(m.size());
    for (Map.Entry<String, BigDecimal> e : m.entrySet()) {
      out.writeUTF(e.getKey());
      dec(out, e.getValue());
    }
  }

  private static TreeMap<String, BigDecimal> map(DataInputStream in) throws IOException {
    TreeMap<String, BigDecimal> m = new TreeMap<>();
    for (int n = in.readShort(); n > 0; n--) {
      m.put(in.readUTF(), dec(in));
    }
    return m;
  }

  private static void dec(DataOutputStream out, BigDecimal d) throws IOException {
    BigInteger u = d.unscaledValue();
    out.writeShort(d.scale());
    if (u.bitLength() < 63) {
      out.writeByte(0);
      out.writeLong(u.longValue());
    } else {
      byte[] raw = u.toByteArray();
      out.writeByte(raw.length);
      out.write(raw);
    }
  }

  private static BigDecimal dec(DataInputStream in) throws IOException {
    int scale = in.readShort();
    int len = in.readByte();
    if (len == 0) {
      return BigDecimal.valueOf(in.readLong(), scale);
    }
    byte[] raw = new byte[len];
    in.readFully(raw);
    return new BigDecimal(new BigInteger(raw), scale);
  }
}
