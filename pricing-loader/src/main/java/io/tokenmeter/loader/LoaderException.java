package io.tokenmeter.loader;

import java.util.List;

/**
 * A run that cannot go on, with the exit code that tells a CronJob (or a person) which kind of
 * problem it was. Every problem names the entry, option or Kafka operation it is about.
 */
final class LoaderException extends RuntimeException {
  /** Every card written (or nothing to write). */
  static final int OK = 0;
  /** Invalid input: source or overrides malformed or invalid, bad option values (picocli usage errors too). */
  static final int INVALID_INPUT = 2;
  /** Kafka failed: unreachable, not authorised, topic not compacted, transaction aborted. */
  static final int KAFKA_FAILURE = 3;
  /** The source or the overrides file could not be read (missing file, HTTP error, timeout). */
  static final int SOURCE_UNAVAILABLE = 4;

  private final int exitCode;
  private final List<String> problems;
  private final boolean nothingWritten;

  private LoaderException(int exitCode, List<String> problems, Throwable cause, boolean nothingWritten) {
    super(String.join("; ", problems), cause);
    this.exitCode = exitCode;
    this.problems = List.copyOf(problems);
    this.nothingWritten = nothingWritten;
  }

  private LoaderException(int exitCode, List<String> problems, Throwable cause) {
    this(exitCode, problems, cause, true);
  }

  static LoaderException invalid(List<String> problems) {
    return new LoaderException(INVALID_INPUT, problems, null);
  }

  static LoaderException invalid(String problem) {
    return new LoaderException(INVALID_INPUT, List.of(problem), null);
  }

  static LoaderException kafka(String problem, Throwable cause) {
    return new LoaderException(KAFKA_FAILURE, List.of(problem), cause);
  }

  /** The commit did not answer in time: the transaction may or may not complete. */
  static LoaderException kafkaOutcomeUnknown(String problem, Throwable cause) {
    return new LoaderException(KAFKA_FAILURE, List.of(problem), cause, false);
  }

  static LoaderException unavailable(String problem, Throwable cause) {
    return new LoaderException(SOURCE_UNAVAILABLE, List.of(problem), cause);
  }

  int exitCode() {
    return exitCode;
  }

  List<String> problems() {
    return problems;
  }

  /** False only when a commit timed out: then the transaction's outcome is not known. */
  boolean nothingWritten() {
    return nothingWritten;
  }
}
