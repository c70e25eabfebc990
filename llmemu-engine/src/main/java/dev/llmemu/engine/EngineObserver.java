package dev.llmemu.engine;

/**
 * Hooks for metrics, called on the engine's executive thread: implementations must be quick and
 * must not call back into the engine. Every method does nothing by default.
 */
public interface EngineObserver {
  /** After each step, including steps that only report state after an abort. */
  default void onStep(StepStats stats) {}

  /** When a request produces its first token: {@code ttftNanos} is from its arrival. */
  default void onFirstToken(String requestId, long ttftNanos) {}

  /** For every output after the first: the time since the request's previous output. */
  default void onInterTokenLatency(long nanos) {}

  /** When a request is preempted (its KV blocks freed, to be recomputed). */
  default void onPreemption(String requestId) {}

  /** When a request has finished, for whatever reason. */
  default void onRequestFinished(RequestResult result) {}

  /** An observer that ignores everything. */
  EngineObserver NONE = new EngineObserver() {};
}
