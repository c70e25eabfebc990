package dev.llmemu.engine;

import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The timeline and outcome of one finished request (one choice when n > 1), on the engine clock.
 * Latencies follow vLLM's definitions: TTFT from arrival to the first token, TPOT = (E2E − TTFT) /
 * (output tokens − 1), ITL the gaps between consecutive outputs, queue time from arrival to first
 * scheduling. In virtual time these are exact.
 */
public final class RequestResult {
  private final String requestId;
  private final String parentRequestId;
  private final int index;
  private final int promptTokens;
  private final int outputTokens;
  private final int cachedTokens;
  private final int maxTokens;
  private final int numPreemptions;
  private final FinishReason finishReason;
  private final @Nullable Object stopReason;
  private final long arrivalNanos;
  private final long firstScheduledNanos;
  private final long finishedNanos;
  private final long[] tokenTimesNanos;
  private final @Nullable String text;

  /** Built by the engine; public so that front ends and tests can make their own. */
  public RequestResult(
      String requestId,
      String parentRequestId,
      int index,
      int promptTokens,
      int outputTokens,
      int cachedTokens,
      int maxTokens,
      int numPreemptions,
      FinishReason finishReason,
      @Nullable Object stopReason,
      long arrivalNanos,
      long firstScheduledNanos,
      long finishedNanos,
      long[] tokenTimesNanos,
      @Nullable String text) {
    this.requestId = requestId;
    this.parentRequestId = parentRequestId;
    this.index = index;
    this.promptTokens = promptTokens;
    this.outputTokens = outputTokens;
    this.cachedTokens = cachedTokens;
    this.maxTokens = maxTokens;
    this.numPreemptions = numPreemptions;
    this.finishReason = finishReason;
    this.stopReason = stopReason;
    this.arrivalNanos = arrivalNanos;
    this.firstScheduledNanos = firstScheduledNanos;
    this.finishedNanos = finishedNanos;
    this.tokenTimesNanos = tokenTimesNanos;
    this.text = text;
  }

  public String requestId() {
    return requestId;
  }

  public String parentRequestId() {
    return parentRequestId;
  }

  public int index() {
    return index;
  }

  public int promptTokens() {
    return promptTokens;
  }

  /** Generated tokens, counting an EOS token (vLLM's {@code completion_tokens}). */
  public int outputTokens() {
    return outputTokens;
  }

  /** Prefix-cache hit tokens at first admission (vLLM's {@code cached_tokens}). */
  public int cachedTokens() {
    return cachedTokens;
  }

  /** The effective {@code max_tokens}: the requested value capped by the model length. */
  public int maxTokens() {
    return maxTokens;
  }

  public int numPreemptions() {
    return numPreemptions;
  }

  public FinishReason finishReason() {
    return finishReason;
  }

  /** A stop string ({@link String}) or stop token id ({@link Integer}), else null. */
  public @Nullable Object stopReason() {
    return stopReason;
  }

  /** The generated text, when the engine produced text. */
  public Optional<String> text() {
    return Optional.ofNullable(text);
  }

  public long arrivalNanos() {
    return arrivalNanos;
  }

  /** Engine time of first scheduling, or -1 if the request never ran. */
  public long firstScheduledNanos() {
    return firstScheduledNanos;
  }

  /** Engine time of the request's last output. */
  public long finishedNanos() {
    return finishedNanos;
  }

  /** Engine time of the first token, or -1 if none was produced. */
  public long firstTokenNanos() {
    return tokenTimesNanos.length == 0 ? -1 : tokenTimesNanos[0];
  }

  /** Engine time of each output token, in order. */
  public long[] tokenTimesNanos() {
    return tokenTimesNanos.clone();
  }

  /** Time to first token, or null if the request produced none. */
  public @Nullable Duration ttft() {
    return tokenTimesNanos.length == 0 ? null : Duration.ofNanos(tokenTimesNanos[0] - arrivalNanos);
  }

  /** Arrival to last output. */
  public Duration e2eLatency() {
    return Duration.ofNanos(finishedNanos - arrivalNanos);
  }

  /** Arrival to first scheduling, or null if the request never ran. */
  public @Nullable Duration queueTime() {
    return firstScheduledNanos < 0 ? null : Duration.ofNanos(firstScheduledNanos - arrivalNanos);
  }

  /** First scheduling to first token (vLLM's prefill interval), or null. */
  public @Nullable Duration prefillTime() {
    return firstScheduledNanos < 0 || tokenTimesNanos.length == 0
        ? null
        : Duration.ofNanos(tokenTimesNanos[0] - firstScheduledNanos);
  }

  /** First token to last token (vLLM's decode interval), or null. */
  public @Nullable Duration decodeTime() {
    return tokenTimesNanos.length == 0
        ? null
        : Duration.ofNanos(tokenTimesNanos[tokenTimesNanos.length - 1] - tokenTimesNanos[0]);
  }

  /** {@code (E2E − TTFT) / (output tokens − 1)}, or null with fewer than two tokens. */
  public @Nullable Duration tpot() {
    if (tokenTimesNanos.length < 2 || outputTokens < 2) {
      return null;
    }
    long decode = finishedNanos - tokenTimesNanos[0];
    return Duration.ofNanos(decode / (outputTokens - 1));
  }

  /** Gaps between consecutive outputs, in nanoseconds. */
  public long[] interTokenLatenciesNanos() {
    if (tokenTimesNanos.length < 2) {
      return new long[0];
    }
    long[] gaps = new long[tokenTimesNanos.length - 1];
    for (int i = 1; i < tokenTimesNanos.length; i++) {
      gaps[i - 1] = tokenTimesNanos[i] - tokenTimesNanos[i - 1];
    }
    return gaps;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof RequestResult)) {
      return false;
    }
    RequestResult r = (RequestResult) o;
    return requestId.equals(r.requestId)
        && parentRequestId.equals(r.parentRequestId)
        && index == r.index
        && promptTokens == r.promptTokens
        && outputTokens == r.outputTokens
        && cachedTokens == r.cachedTokens
        && maxTokens == r.maxTokens
        && numPreemptions == r.numPreemptions
        && finishReason == r.finishReason
        && java.util.Objects.equals(stopReason, r.stopReason)
        && arrivalNanos == r.arrivalNanos
        && firstScheduledNanos == r.firstScheduledNanos
        && finishedNanos == r.finishedNanos
        && Arrays.equals(tokenTimesNanos, r.tokenTimesNanos)
        && java.util.Objects.equals(text, r.text);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        requestId, outputTokens, finishedNanos, Arrays.hashCode(tokenTimesNanos));
  }

  @Override
  public String toString() {
    return "RequestResult{"
        + requestId
        + ", prompt="
        + promptTokens
        + ", output="
        + outputTokens
        + ", cached="
        + cachedTokens
        + ", finish="
        + finishReason.wireName()
        + ", ttft="
        + ttft()
        + ", e2e="
        + e2eLatency()
        + ", preemptions="
        + numPreemptions
        + "}";
  }
}
