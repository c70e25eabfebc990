package dev.llmemu.engine.internal.exec;

import dev.llmemu.engine.internal.core.EngineCore;

/**
 * The engine's one executive loop (design.md §3): drain commands, schedule a step, take its
 * duration from the latency model, wait until the step's end on the clock, apply it. Steps never
 * overlap; the sampled duration is the step period. The same loop runs in real and in virtual time:
 * only the {@link Clock} and the {@link Inbox} differ.
 */
public final class Executive {
  /** A real-time executive that falls this far behind (a long GC pause) restarts its cadence. */
  private static final long MAX_LAG_NANOS = 250_000_000L;

  private final EngineCore core;
  private final Clock clock;
  private final Inbox inbox;
  private volatile double timeScale;
  private volatile boolean stopping;

  public Executive(EngineCore core, Clock clock, Inbox inbox, double timeScale) {
    this.core = core;
    this.clock = clock;
    this.inbox = inbox;
    setTimeScale(timeScale);
  }

  /** Multiplies every step duration: 0.1 runs ten times faster than the emulated GPU. */
  public void setTimeScale(double scale) {
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("time scale must be positive and finite, got " + scale);
    }
    this.timeScale = scale;
  }

  public double timeScale() {
    return timeScale;
  }

  public void stop() {
    stopping = true;
  }

  /** Runs until the inbox says stop (or the thread is interrupted). */
  public void run() throws InterruptedException {
    boolean busy = false;
    long lastDeadline = 0;
    while (!stopping) {
      long now = clock.now();
      inbox.drainDue(core, now);
      if (stopping) {
        return;
      }
      if (!core.hasWork()) {
        if (core.statsStepOwed()) {
          core.emitIdleStats(now);
        }
        busy = false;
        if (!inbox.awaitWork(clock)) {
          return;
        }
        continue;
      }
      // Keep the cadence: the next step starts when the previous one ended, not when we woke.
      long start = busy && now - lastDeadline < MAX_LAG_NANOS ? lastDeadline : now;
      long duration = core.beginStep(start);
      if (duration < 0 && !core.hasWork()) {
        // Deferred aborts (requests finished by a stop string) took the last work away.
        busy = false;
        continue;
      }
      if (duration < 0) {
        throw new IllegalStateException(
            "engine stalled: "
                + core.numWaiting()
                + " waiting and "
                + core.numRunning()
                + " running requests, but nothing could be scheduled");
      }
      double scale = timeScale;
      long deadline = start + (scale == 1.0 ? duration : Math.round(duration * scale));
      clock.sleepUntil(deadline);
      core.completeStep(deadline);
      lastDeadline = deadline;
      busy = true;
    }
  }
}
