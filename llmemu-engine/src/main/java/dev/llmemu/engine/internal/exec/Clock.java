package dev.llmemu.engine.internal.exec;

/** The engine's time source: real (wall clock) or virtual (discrete events). */
public interface Clock {
  /** Engine time in nanoseconds. */
  long now();

  /**
   * Returns once engine time has reached {@code deadline}: a real clock parks the thread until
   * then, a virtual clock jumps.
   */
  void sleepUntil(long deadline) throws InterruptedException;
}
