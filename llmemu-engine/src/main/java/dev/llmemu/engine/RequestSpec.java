package dev.llmemu.engine;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One generation request as the engine sees it: prompt token ids and vLLM's sampling parameters
 * that affect scheduling and stopping. Immutable; build with {@link #builder()}.
 *
 * <p>{@link #arrival()} and {@link #cancelAfter()} only matter to a {@link Simulator}: they say
 * when, in virtual time, the request arrives and when its client gives up.
 */
public final class RequestSpec {
  private final @Nullable String requestId;
  private final int[] promptTokenIds;
  private final @Nullable Integer maxTokens;
  private final int minTokens;
  private final boolean ignoreEos;
  private final List<String> stop;
  private final int[] stopTokenIds;
  private final boolean includeStopStrInOutput;
  private final int n;
  private final int priority;
  private final @Nullable Long seed;
  private final Duration arrival;
  private final @Nullable Duration cancelAfter;
  private final @Nullable Integer outputTokensHint;
  private final @Nullable String cacheSalt;
  private final boolean skipPrefixCache;

  private RequestSpec(Builder b) {
    this.requestId = b.requestId;
    this.promptTokenIds = b.promptTokenIds.clone();
    this.maxTokens = b.maxTokens;
    this.minTokens = b.minTokens;
    this.ignoreEos = b.ignoreEos;
    this.stop = List.copyOf(b.stop);
    this.stopTokenIds = b.stopTokenIds.clone();
    this.includeStopStrInOutput = b.includeStopStrInOutput;
    this.n = b.n;
    this.priority = b.priority;
    this.seed = b.seed;
    this.arrival = b.arrival;
    this.cancelAfter = b.cancelAfter;
    this.outputTokensHint = b.outputTokensHint;
    this.cacheSalt = b.cacheSalt;
    this.skipPrefixCache = b.skipPrefixCache;
    if (promptTokenIds.length == 0) {
      throw new IllegalArgumentException("the prompt must contain at least one token");
    }
    if (maxTokens != null && maxTokens < 1) {
      throw new IllegalArgumentException("max_tokens must be at least 1, got " + maxTokens);
    }
    if (minTokens < 0) {
      throw new IllegalArgumentException(
          "min_tokens must be greater than or equal to 0, got " + minTokens);
    }
    if (maxTokens != null && minTokens > maxTokens) {
      throw new IllegalArgumentException(
          "min_tokens must be less than or equal to max_tokens="
              + maxTokens
              + ", got "
              + minTokens);
    }
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1, got " + n);
    }
    if (arrival.isNegative()) {
      throw new IllegalArgumentException("arrival must not be negative, got " + arrival);
    }
    if (cancelAfter != null && cancelAfter.isNegative()) {
      throw new IllegalArgumentException("cancelAfter must not be negative, got " + cancelAfter);
    }
    if (outputTokensHint != null && outputTokensHint < 1) {
      throw new IllegalArgumentException(
          "outputTokensHint must be at least 1, got " + outputTokensHint);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.requestId = requestId;
    b.promptTokenIds = promptTokenIds;
    b.maxTokens = maxTokens;
    b.minTokens = minTokens;
    b.ignoreEos = ignoreEos;
    b.stop = stop;
    b.stopTokenIds = stopTokenIds;
    b.includeStopStrInOutput = includeStopStrInOutput;
    b.n = n;
    b.priority = priority;
    b.seed = seed;
    b.arrival = arrival;
    b.cancelAfter = cancelAfter;
    b.outputTokensHint = outputTokensHint;
    b.cacheSalt = cacheSalt;
    b.skipPrefixCache = skipPrefixCache;
    return b;
  }

  /** The caller's id, or null to let the engine number the request. */
  public @Nullable String requestId() {
    return requestId;
  }

  public int[] promptTokenIds() {
    return promptTokenIds.clone();
  }

  public int promptLength() {
    return promptTokenIds.length;
  }

  /** {@code max_tokens}, or null for "until EOS or the context is full" (chat without a limit). */
  public @Nullable Integer maxTokens() {
    return maxTokens;
  }

  public int minTokens() {
    return minTokens;
  }

  public boolean ignoreEos() {
    return ignoreEos;
  }

  public List<String> stop() {
    return stop;
  }

  public int[] stopTokenIds() {
    return stopTokenIds.clone();
  }

  public boolean includeStopStrInOutput() {
    return includeStopStrInOutput;
  }

  public int n() {
    return n;
  }

  public int priority() {
    return priority;
  }

  /** The request's {@code seed}: makes its synthetic tokens independent of arrival order. */
  public @Nullable Long seed() {
    return seed;
  }

  /** Arrival time relative to the start of a simulation. */
  public Duration arrival() {
    return arrival;
  }

  /** How long after arrival the client aborts an unfinished request, or null for never. */
  public @Nullable Duration cancelAfter() {
    return cancelAfter;
  }

  /**
   * The length (including EOS) the emulated model would naturally generate, for dataset-driven
   * output lengths; null lets the engine's {@link OutputLengthModel} decide.
   */
  public @Nullable Integer outputTokensHint() {
    return outputTokensHint;
  }

  /** vLLM's {@code cache_salt}: isolates this request's prefix-cache entries. */
  public @Nullable String cacheSalt() {
    return cacheSalt;
  }

  /** True for requests that skip the prefix-cache lookup (vLLM: {@code prompt_logprobs}). */
  public boolean skipPrefixCache() {
    return skipPrefixCache;
  }

  @Override
  public String toString() {
    return "RequestSpec{id="
        + requestId
        + ", prompt="
        + promptTokenIds.length
        + " tokens, max_tokens="
        + maxTokens
        + ", n="
        + n
        + ", arrival="
        + arrival
        + "}";
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof RequestSpec)) {
      return false;
    }
    RequestSpec other = (RequestSpec) o;
    return Objects.equals(requestId, other.requestId)
        && Arrays.equals(promptTokenIds, other.promptTokenIds)
        && Objects.equals(maxTokens, other.maxTokens)
        && minTokens == other.minTokens
        && ignoreEos == other.ignoreEos
        && stop.equals(other.stop)
        && Arrays.equals(stopTokenIds, other.stopTokenIds)
        && includeStopStrInOutput == other.includeStopStrInOutput
        && n == other.n
        && priority == other.priority
        && Objects.equals(seed, other.seed)
        && arrival.equals(other.arrival)
        && Objects.equals(cancelAfter, other.cancelAfter)
        && Objects.equals(outputTokensHint, other.outputTokensHint)
        && Objects.equals(cacheSalt, other.cacheSalt)
        && skipPrefixCache == other.skipPrefixCache;
  }

  @Override
  public int hashCode() {
    return Objects.hash(requestId, Arrays.hashCode(promptTokenIds), maxTokens, n, arrival);
  }

  /** Builds a {@link RequestSpec}. Only the prompt is required. */
  public static final class Builder {
    private @Nullable String requestId;
    private int[] promptTokenIds = new int[0];
    private @Nullable Integer maxTokens = 16;
    private int minTokens;
    private boolean ignoreEos;
    private List<String> stop = List.of();
    private int[] stopTokenIds = new int[0];
    private boolean includeStopStrInOutput;
    private int n = 1;
    private int priority;
    private @Nullable Long seed;
    private Duration arrival = Duration.ZERO;
    private @Nullable Duration cancelAfter;
    private @Nullable Integer outputTokensHint;
    private @Nullable String cacheSalt;
    private boolean skipPrefixCache;

    private Builder() {}

    public Builder requestId(@Nullable String value) {
      requestId = value;
      return this;
    }

    public Builder promptTokenIds(int... value) {
      promptTokenIds = value.clone();
      return this;
    }

    /** {@code max_tokens}; 16 unless set, as vLLM's completions default. Null: no limit. */
    public Builder maxTokens(@Nullable Integer value) {
      maxTokens = value;
      return this;
    }

    public Builder minTokens(int value) {
      minTokens = value;
      return this;
    }

    public Builder ignoreEos(boolean value) {
      ignoreEos = value;
      return this;
    }

    public Builder stop(List<String> value) {
      stop = List.copyOf(value);
      return this;
    }

    public Builder stopTokenIds(int... value) {
      stopTokenIds = value.clone();
      return this;
    }

    public Builder includeStopStrInOutput(boolean value) {
      includeStopStrInOutput = value;
      return this;
    }

    public Builder n(int value) {
      n = value;
      return this;
    }

    public Builder priority(int value) {
      priority = value;
      return this;
    }

    public Builder seed(@Nullable Long value) {
      seed = value;
      return this;
    }

    public Builder arrival(Duration value) {
      arrival = Objects.requireNonNull(value, "arrival");
      return this;
    }

    public Builder cancelAfter(@Nullable Duration value) {
      cancelAfter = value;
      return this;
    }

    public Builder outputTokensHint(@Nullable Integer value) {
      outputTokensHint = value;
      return this;
    }

    public Builder cacheSalt(@Nullable String value) {
      cacheSalt = value;
      return this;
    }

    public Builder skipPrefixCache(boolean value) {
      skipPrefixCache = value;
      return this;
    }

    public RequestSpec build() {
      return new RequestSpec(this);
    }
  }
}
