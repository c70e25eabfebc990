package dev.llmemu.engine.internal.server;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the HTTP layer needs to know, fixed at start-up.
 *
 * @param host address to bind
 * @param port port to bind (0: ephemeral)
 * @param servedModelNames names accepted in {@code model}; the first is reported and labels metrics
 * @param modelRoot the model path reported as {@code root} in {@code /v1/models}
 * @param apiKeys keys accepted as {@code Authorization: Bearer KEY} on {@code /v1}; empty: open
 * @param maxBodyBytes larger request bodies are answered 413
 * @param readinessDelay time after start during which the server answers 503
 * @param maxWaitingRequests 429 when this many requests wait; 0: unbounded, as vLLM
 * @param enablePromptTokensDetails vLLM's {@code --enable-prompt-tokens-details}
 * @param enableForceIncludeUsage vLLM's {@code --enable-force-include-usage}
 * @param recordRequests keep every request for {@code takeRequest()}
 * @param version the string {@code /version} answers
 */
public record ServerSettings(
    String host,
    int port,
    List<String> servedModelNames,
    String modelRoot,
    List<String> apiKeys,
    int maxBodyBytes,
    Duration readinessDelay,
    int maxWaitingRequests,
    boolean enablePromptTokensDetails,
    boolean enableForceIncludeUsage,
    boolean recordRequests,
    String version,
    @Nullable Integer ioThreads) {

  public String servedModelName() {
    return servedModelNames.get(0);
  }
}
