package dev.llmemu.engine.internal.exec;

import dev.llmemu.engine.internal.core.EngineCore;

/** Where commands for the executive come from. */
public interface Inbox {
  /** Applies every command due at or before {@code now}. */
  void drainDue(EngineCore core, long now);

  /**
   * Called when the engine has nothing to do: waits for the next command (real time) or moves the
   * clock to the next event (virtual time). Returns false when the executive should stop.
   */
  boolean awaitWork(Clock clock) throws InterruptedException;
}
