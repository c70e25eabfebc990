package dev.llmemu.examples.chat;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How the chat service reaches vLLM and how patient it is. Build one with {@link #builder}.
 *
 * @param vllmBaseUrl vLLM's OpenAI base URL, e.g. {@code http://gpu-box:8000/v1}
 * @param apiKey the key vLLM was started with ({@code --api-key}), or any text if none
 * @param model the served model name to ask for
 * @param systemPrompt the assistant's instructions, put before every conversation
 * @param maxOutputTokens the most tokens one answer may have (a client may ask for fewer)
 * @param tokenTimeout the longest the service waits for vLLM's next token, the first one included:
 *     a conversation stuck in vLLM's queue (a full KV cache, a long backlog) fails with 504
 * @param requestTimeout the longest one answer may take in all, retries and streaming included
 * @param retry when to ask vLLM again
 * @param vllmHeaders headers sent with every call to vLLM (say, the routing key of a gateway in
 *     front of it)
 * @param host the address to listen on
 * @param port the port to listen on (0: any free port)
 */
public record ChatServiceConfig(
    String vllmBaseUrl,
    String apiKey,
    String model,
    String systemPrompt,
    int maxOutputTokens,
    Duration tokenTimeout,
    Duration requestTimeout,
    RetryPolicy retry,
    Map<String, String> vllmHeaders,
    String host,
    int port) {

  public ChatServiceConfig {
    Objects.requireNonNull(vllmBaseUrl, "vllmBaseUrl");
    Objects.requireNonNull(apiKey, "apiKey");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(systemPrompt, "systemPrompt");
    Objects.requireNonNull(tokenTimeout, "tokenTimeout");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(retry, "retry");
    vllmHeaders = Map.copyOf(vllmHeaders);
    Objects.requireNonNull(host, "host");
    if (maxOutputTokens < 1) {
      throw new IllegalArgumentException("maxOutputTokens must be positive: " + maxOutputTokens);
    }
  }

  /**
   * The defaults for a service in front of {@code vllmBaseUrl} serving {@code model}: answers of at
   * most 512 tokens, a 10 s token time-out, a 60 s request time-out, {@link
   * RetryPolicy#defaults()}, on the loopback interface and any free port.
   */
  public static Builder builder(String vllmBaseUrl, String model) {
    return new Builder(vllmBaseUrl, model);
  }

  /**
   * The configuration from the environment, as the service runs in production: {@code VLLM_URL}
   * (default {@code http://127.0.0.1:8000/v1}), {@code VLLM_MODEL}, {@code VLLM_API_KEY}, {@code
   * CHAT_HOST} (0.0.0.0), {@code CHAT_PORT} (8080), {@code CHAT_TOKEN_TIMEOUT_MS}, {@code
   * CHAT_REQUEST_TIMEOUT_MS}, {@code CHAT_MAX_ATTEMPTS}.
   */
  public static ChatServiceConfig fromEnvironment(Map<String, String> env) {
    Builder b =
        builder(
                env.getOrDefault("VLLM_URL", "http://127.0.0.1:8000/v1"),
                env.getOrDefault("VLLM_MODEL", "meta-llama/Llama-3.1-8B-Instruct"))
            .host(env.getOrDefault("CHAT_HOST", "0.0.0.0"))
            .port(Integer.parseInt(env.getOrDefault("CHAT_PORT", "8080")));
    if (env.containsKey("VLLM_API_KEY")) {
      b.apiKey(env.get("VLLM_API_KEY"));
    }
    if (env.containsKey("CHAT_TOKEN_TIMEOUT_MS")) {
      b.tokenTimeout(Duration.ofMillis(Long.parseLong(env.get("CHAT_TOKEN_TIMEOUT_MS"))));
    }
    if (env.containsKey("CHAT_REQUEST_TIMEOUT_MS")) {
      b.requestTimeout(Duration.ofMillis(Long.parseLong(env.get("CHAT_REQUEST_TIMEOUT_MS"))));
    }
    if (env.containsKey("CHAT_MAX_ATTEMPTS")) {
      RetryPolicy r = RetryPolicy.defaults();
      b.retry(
          new RetryPolicy(
              Integer.parseInt(env.get("CHAT_MAX_ATTEMPTS")),
              r.retryOn(),
              r.initialBackoff(),
              r.maxBackoff()));
    }
    return b.build();
  }

  /** Builds a {@link ChatServiceConfig}; every setting but the URL and model has a default. */
  public static final class Builder {
    private final String vllmBaseUrl;
    private final String model;
    private String apiKey = "none";
    private String systemPrompt = "You are a helpful assistant. Answer briefly.";
    private int maxOutputTokens = 512;
    private Duration tokenTimeout = Duration.ofSeconds(10);
    private Duration requestTimeout = Duration.ofSeconds(60);
    private RetryPolicy retry = RetryPolicy.defaults();
    private Map<String, String> vllmHeaders = Map.of();
    private String host = "127.0.0.1";
    private int port;

    private Builder(String vllmBaseUrl, String model) {
      this.vllmBaseUrl = vllmBaseUrl;
      this.model = model;
    }

    public Builder apiKey(String value) {
      apiKey = value;
      return this;
    }

    public Builder systemPrompt(String value) {
      systemPrompt = value;
      return this;
    }

    public Builder maxOutputTokens(int value) {
      maxOutputTokens = value;
      return this;
    }

    public Builder tokenTimeout(Duration value) {
      tokenTimeout = value;
      return this;
    }

    public Builder requestTimeout(Duration value) {
      requestTimeout = value;
      return this;
    }

    public Builder retry(RetryPolicy value) {
      retry = value;
      return this;
    }

    public Builder vllmHeaders(Map<String, String> value) {
      vllmHeaders = value;
      return this;
    }

    public Builder host(String value) {
      host = value;
      return this;
    }

    public Builder port(int value) {
      port = value;
      return this;
    }

    public ChatServiceConfig build() {
      return new ChatServiceConfig(
          vllmBaseUrl,
          apiKey,
          model,
          systemPrompt,
          maxOutputTokens,
          tokenTimeout,
          requestTimeout,
          retry,
          vllmHeaders,
          host,
          port);
    }
  }
}
