package dev.llmemu.engine;

/**
 * Receives a request's outputs. Called on the engine's executive thread once per step that produced
 * something for the request: implementations must return quickly and never block (hand the output
 * to another thread, e.g. an event loop).
 */
@FunctionalInterface
public interface OutputSink {
  void accept(RequestOutput output);

  /**
   * The engine refused the request after accepting it for submission (for example a duplicate
   * request id). No output follows. Does nothing by default.
   */
  default void reject(IllegalArgumentException error) {}

  /** A sink that drops everything. */
  static OutputSink discarding() {
    return output -> {};
  }
}
