package dev.llmemu.engine;

import org.jspecify.annotations.Nullable;

/**
 * What one engine step produced for one request (one choice when n > 1): the new tokens and text
 * since the previous output, and, on the last output, why it finished. A streaming front end sends
 * one event per output, as vLLM does.
 *
 * @param requestId the engine request id (for n > 1, vLLM's child id {@code "<index>_<id>"})
 * @param parentRequestId the id the request was submitted with
 * @param index the choice index within the parent request
 * @param newTokenIds tokens generated in this step (usually one; empty for an abort)
 * @param newText text released in this step (held back while it could still become a stop string)
 * @param promptTokens prompt length
 * @param cachedTokens prefix-cache hit tokens at first admission, vLLM's {@code num_cached_tokens}
 * @param outputTokens tokens generated so far, counting an EOS token
 * @param finishReason null until the last output
 * @param stopReason a stop string ({@link String}) or stop token id ({@link Integer}), else null
 * @param timestampNanos engine time of the step's end, on the engine clock
 */
public record RequestOutput(
    String requestId,
    String parentRequestId,
    int index,
    int[] newTokenIds,
    String newText,
    int promptTokens,
    int cachedTokens,
    int outputTokens,
    @Nullable FinishReason finishReason,
    @Nullable Object stopReason,
    long timestampNanos) {

  /** True on the last output of the request. */
  public boolean finished() {
    return finishReason != null;
  }
}
