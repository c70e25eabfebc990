package dev.llmemu.engine.workload;

/**
 * The prompt and output length of one request, in tokens.
 *
 * @param prompt prompt tokens, at least 1
 * @param output output tokens ({@code max_tokens}), at least 1
 */
public record LengthPair(int prompt, int output) {
  public LengthPair {
    if (prompt < 1 || output < 1) {
      throw new IllegalArgumentException(
          "lengths must be at least 1, got prompt " + prompt + " and output " + output);
    }
  }

  /** {@code LengthPair.of(256, 128)}: a prompt of 256 tokens, 128 output tokens. */
  public static LengthPair of(int prompt, int output) {
    return new LengthPair(prompt, output);
  }
}
