package dev.llmemu.engine.internal.profile;

/**
 * A hardware profile that cannot be used: the message names the source, the offending field (as a
 * JSON path), what is wrong with it and how to fix it.
 */
public final class ProfileFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String field;

  public ProfileFormatException(String source, String field, String problem, String fix) {
    super(
        "Invalid hardware profile "
            + source
            + ": field '"
            + field
            + "' "
            + problem
            + (fix.isEmpty() ? "" : ". " + fix));
    this.field = field;
  }

  /** The JSON path of the offending field, e.g. {@code latency.token_ops.mean[3]}. */
  public String field() {
    return field;
  }
}
