package dev.llmemu.engine.internal.core;

import dev.llmemu.engine.FinishReason;
import dev.llmemu.engine.OutputSink;
import dev.llmemu.engine.RequestSpec;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The engine's mutable state for one request (one choice of an n > 1 request), mirroring {@code
 * vllm/v1/request.py}. Owned by the executive thread.
 */
public final class Request {
  final long seq;
  final String requestId;
  final String parentRequestId;
  final int index;
  final RequestSpec spec;
  final int numPromptTokens;
  final int maxTokens;
  final int minTokens;
  final boolean ignoreEos;
  final int[] stopTokenIds;

  /** Output position (1-based) at which the synthetic model emits EOS, or Integer.MAX_VALUE. */
  final int eosPosition;

  /** SplitMix64 state of the request's token generator (inline: no object to chase per token). */
  long randomState;

  final boolean includeStopStr;
  final @Nullable OutputSink sink;

  /** Prompt then output token ids; inline rather than a list object to save a pointer per step. */
  int[] tokenIds;

  int numTokens;
  final LongList blockHashes;
  final IntList blocks = new IntList(8);
  int numCachedBlocks;

  RequestStatus status = RequestStatus.WAITING;
  int numComputedTokens;
  int numCachedTokens = -1;
  int numPreemptions;
  boolean everScheduled;

  final long arrivalNanos;
  long firstScheduledNanos = -1;
  long[] tokenTimes;
  int numTokenTimes;

  /** Non-null when the front end produces text: the detokenized output so far. */
  final @Nullable StringBuilder text;

  int emittedChars;
  int pendingTokensFrom;

  /** Set when the front end finished the request (stop string) before the engine did. */
  boolean frontendFinished;

  long abortAfterStep = -1;
  @Nullable FinishReason finishReason;
  @Nullable Object stopReason;
  long finishedNanos = -1;

  Request(
      long seq,
      String requestId,
      String parentRequestId,
      int index,
      RequestSpec spec,
      int maxTokens,
      int eosPosition,
      long randomSeed,
      long arrivalNanos,
      @Nullable OutputSink sink,
      boolean produceText) {
    this.seq = seq;
    this.requestId = requestId;
    this.parentRequestId = parentRequestId;
    this.index = index;
    this.spec = spec;
    int[] prompt = spec.promptTokenIds();
    this.numPromptTokens = prompt.length;
    this.maxTokens = maxTokens;
    this.minTokens = spec.minTokens();
    this.ignoreEos = spec.ignoreEos();
    this.stopTokenIds = spec.stopTokenIds();
    this.eosPosition = eosPosition;
    this.randomState = randomSeed;
    this.includeStopStr = spec.includeStopStrInOutput();
    this.arrivalNanos = arrivalNanos;
    this.sink = sink;
    this.tokenIds = Arrays.copyOf(prompt, prompt.length + Math.min(maxTokens, 4096));
    this.numTokens = prompt.length;
    this.blockHashes = new LongList(prompt.length / 16 + 4);
    this.tokenTimes = new long[Math.max(4, Math.min(maxTokens, 1024))];
    this.text = produceText || !spec.stop().isEmpty() ? new StringBuilder() : null;
  }

  public String requestId() {
    return requestId;
  }

  public RequestStatus status() {
    return status;
  }

  public int numTokens() {
    return numTokens;
  }

  public int numPromptTokens() {
    return numPromptTokens;
  }

  public int numOutputTokens() {
    return numTokens - numPromptTokens;
  }

  public int numComputedTokens() {
    return numComputedTokens;
  }

  public int numPreemptions() {
    return numPreemptions;
  }

  public int numBlocks() {
    return blocks.size();
  }

  public int priority() {
    return spec.priority();
  }

  public long arrivalNanos() {
    return arrivalNanos;
  }

  void appendToken(int token) {
    if (numTokens == tokenIds.length) {
      tokenIds = Arrays.copyOf(tokenIds, tokenIds.length * 2);
    }
    tokenIds[numTokens++] = token;
  }

  void addTokenTime(long time) {
    if (numTokenTimes == tokenTimes.length) {
      tokenTimes = Arrays.copyOf(tokenTimes, tokenTimes.length * 2);
    }
    tokenTimes[numTokenTimes++] = time;
  }

  /** The next 64 random bits of this request's token stream (SplitMix64). */
  long nextRandom() {
    long z = (randomState += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  boolean isStopToken(int token) {
    for (int t : stopTokenIds) {
      if (t == token) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return requestId
        + "["
        + status
        + ", tokens="
        + numTokens()
        + ", computed="
        + numComputedTokens
        + "]";
  }
}
