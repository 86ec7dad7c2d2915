package io.tokenmeter.pricing;

import java.util.List;

/**
 * The price kinds a card may carry (BRIEF section 5). Cards may carry other kinds too; these are
 * the ones the topology bills.
 */
public final class PriceKind {
  public static final String INPUT = "input";
  public static final String OUTPUT = "output";
  public static final String CACHE_READ = "cache_read";
  public static final String CACHE_WRITE = "cache_write";
  public static final String CACHE_WRITE_1H = "cache_write_1h";
  public static final String REASONING = "reasoning";
  public static final String INPUT_AUDIO = "input_audio";
  public static final String OUTPUT_AUDIO = "output_audio";

  public static final List<String> KNOWN =
      List.of(INPUT, OUTPUT, CACHE_READ, CACHE_WRITE, CACHE_WRITE_1H, REASONING, INPUT_AUDIO, OUTPUT_AUDIO);

  private PriceKind() {}
}
