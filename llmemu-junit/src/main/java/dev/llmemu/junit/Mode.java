package dev.llmemu.junit;

/** Where {@code @EmulatedVllm} runs the server. */
public enum Mode {
  /** In this JVM, on a loopback port (the default): starts in milliseconds. */
  IN_PROCESS,
  /**
   * In a Docker container of the llmemu image, through {@code llmemu-testcontainers} (which must be
   * on the test classpath).
   */
  CONTAINER,
  /**
   * An already running OpenAI-compatible server given by {@code -Dllmemu.url} (or {@code
   * LLMEMU_URL}), e.g. a real vLLM on a GPU machine. Selected only by that setting.
   */
  EXTERNAL
}
