package dev.llmemu.engine;

/**
 * The composition of one engine step, as a latency model sees it. A view valid only during {@link
 * StepLatencyModel#stepNanos}; do not keep it.
 *
 * <p>A scheduled request is a <em>decode</em> when its prompt was already computed and it gets one
 * token; every other scheduled request is a <em>prefill chunk</em> (a new prompt, the next chunk of
 * a long prompt, or the recompute of a preempted request).
 */
public interface StepBatch {
  /**
   * Tokens scheduled in the step: prefill-chunk tokens plus one per decode (LLM-Emu's {@code tt}).
   */
  int totalTokens();

  /** Requests scheduled in the step (LLM-Emu's {@code conc}). */
  int numRequests();

  /** Requests scheduled for the first time ever (LLM-Emu's "prefill step" criterion). */
  int numNewRequests();

  /** Decoding requests, one token each. */
  int numDecodes();

  /** Sum over decodes of the KV length each attends to (tokens already in cache). */
  long decodeContextTokens();

  /** Number of prefill chunks. */
  int numPrefills();

  /** Tokens in prefill chunk {@code i}. */
  int prefillChunkTokens(int i);

  /** Tokens already in cache before prefill chunk {@code i} (prefix hits and earlier chunks). */
  int prefillContextTokens(int i);

  /** Sum of {@link #prefillChunkTokens} over all chunks. */
  default int prefillTokens() {
    int sum = 0;
    for (int i = 0; i < numPrefills(); i++) {
      sum += prefillChunkTokens(i);
    }
    return sum;
  }
}
