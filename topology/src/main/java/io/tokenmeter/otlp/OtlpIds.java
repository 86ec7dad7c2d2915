package io.tokenmeter.otlp;

import com.google.protobuf.ByteString;
import java.util.HexFormat;

/** Trace and span ids as the OTLP spec writes them in text: lowercase hex. */
public final class OtlpIds {
  private static final HexFormat HEX = HexFormat.of();

  private OtlpIds() {}

  public static String hex(ByteString id) {
    return id.isEmpty() ? "" : HEX.formatHex(id.toByteArray());
  }
}
