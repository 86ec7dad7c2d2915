package io.tokenmeter.pricing;

import java.util.List;

/** A price card (or a batch of them) failed validation; every problem names its entry. */
public class InvalidPriceCardException extends RuntimeException {
  private final List<String> problems;

  public InvalidPriceCardException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public InvalidPriceCardException(String problem, Throwable cause) {
    super(problem, cause);
    this.problems = List.of(problem);
  }

  public List<String> problems() {
    return problems;
  }
}
