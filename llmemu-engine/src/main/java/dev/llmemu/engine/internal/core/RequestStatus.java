package dev.llmemu.engine.internal.core;

/** vLLM's request states that a plain text decoder goes through. */
public enum RequestStatus {
  WAITING,
  RUNNING,
  PREEMPTED,
  FINISHED_STOPPED,
  FINISHED_LENGTH_CAPPED,
  FINISHED_ABORTED;

  public boolean isFinished() {
    return ordinal() >= FINISHED_STOPPED.ordinal();
  }
}
