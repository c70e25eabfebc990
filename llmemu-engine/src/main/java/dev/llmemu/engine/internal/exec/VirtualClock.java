package dev.llmemu.engine.internal.exec;

/** Simulated time: starts at 0 and only moves when told to. */
public final class VirtualClock implements Clock {
  private long now;

  @Override
  public long now() {
    return now;
  }

  @Override
  public void sleepUntil(long deadline) {
    advanceTo(deadline);
  }

  /** Jumps forward (never backward) to {@code time}. */
  public void advanceTo(long time) {
    if (time > now) {
      now = time;
    }
  }
}
