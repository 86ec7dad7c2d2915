package io.tokenmeter.kafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Kafka client settings that the topology and pricing-loader both accept, so that one Secret
 * configures both: any {@code TOKENMETER_KAFKA_<NAME>} environment variable becomes the client
 * property {@code <name>} (lower case, '_' to '.'), for example
 * {@code TOKENMETER_KAFKA_SECURITY_PROTOCOL=SASL_SSL} becomes {@code security.protocol=SASL_SSL};
 * a properties file ({@code --kafka-config}) and single {@code key=value} overrides come on top.
 */
public final class KafkaClientSettings {
  public static final String ENV_PREFIX = "TOKENMETER_KAFKA_";

  /** Keys whose values never reach a log line. */
  private static final Pattern SECRET =
      Pattern.compile("(?i).*(password|secret|jaas|token|credential|key\\.password|keystore\\.key|private).*");

  private KafkaClientSettings() {}

  /** Client properties from the environment's {@code TOKENMETER_KAFKA_*} variables. */
  public static Map<String, String> fromEnv(Map<String, String> env) {
    Map<String, String> out = new TreeMap<>();
    env.forEach((k, v) -> {
      if (k.startsWith(ENV_PREFIX) && k.length() > ENV_PREFIX.length()) {
        out.put(k.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
      }
    });
    return out;
  }

  /** Client properties from a Java properties file. */
  public static Map<String, String> fromFile(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    Map<String, String> out = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }

  /** Parses {@code key=value}; throws IllegalArgumentException naming the bad entry. */
  public static Map.Entry<String, String> parseOverride(String kv) {
    int eq = kv.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("Kafka property '" + kv + "' is not key=value");
    }
    return Map.entry(kv.substring(0, eq).trim(), kv.substring(eq + 1));
  }

  public static boolean isSecret(String key) {
    return SECRET.matcher(key).matches();
  }

  /** The value as it may be printed: secrets become "****". */
  public static String masked(String key, Object value) {
    if (value == null) {
      return "";
    }
    return isSecret(key) ? "****" : String.valueOf(value);
  }
}
