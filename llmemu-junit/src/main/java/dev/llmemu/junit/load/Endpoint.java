package dev.llmemu.junit.load;

/** Which OpenAI endpoint a load test calls, with {@code vllm bench serve}'s payloads. */
public enum Endpoint {
  /** {@code POST /v1/completions} with {@code prompt} and {@code max_tokens}. */
  COMPLETIONS("/v1/completions"),
  /** {@code POST /v1/chat/completions} with one user message and {@code max_completion_tokens}. */
  CHAT("/v1/chat/completions");

  private final String path;

  Endpoint(String path) {
    this.path = path;
  }

  public String path() {
    return path;
  }
}
