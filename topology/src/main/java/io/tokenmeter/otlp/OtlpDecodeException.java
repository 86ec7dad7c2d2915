package io.tokenmeter.otlp;

/**
 * A record that is not an OTLP {@code TracesData}. {@link #reason()} is a short, stable code
 * (written to the dead-letter header and used as a metric label); the message says what was wrong.
 */
public class OtlpDecodeException extends RuntimeException {
  private final String reason;

  public OtlpDecodeException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public OtlpDecodeException(String reason, String message) {
    this(reason, message, null);
  }

  public String reason() {
    return reason;
  }
}
