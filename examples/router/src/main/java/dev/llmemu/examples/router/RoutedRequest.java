package dev.llmemu.examples.router;

/**
 * What a router knows of a request when it picks a backend.
 *
 * @param promptTokens the prompt's length in tokens (the router's own count)
 * @param maxTokens the request's {@code max_tokens} (or {@code max_completion_tokens}), or -1 when
 *     it has none; with {@code ignore_eos} it is exactly the output length, otherwise a bound
 */
public record RoutedRequest(int promptTokens, int maxTokens) {
  public RoutedRequest {
    if (promptTokens < 0) {
      throw new IllegalArgumentException("promptTokens must not be negative, got " + promptTokens);
    }
    if (maxTokens < -1 || maxTokens == 0) {
      throw new IllegalArgumentException("maxTokens must be positive or -1, got " + maxTokens);
    }
  }

  /** True when the request states how many tokens it may generate. */
  public boolean hasMaxTokens() {
    return maxTokens > 0;
  }
}
