package dev.llmemu.engine.internal.exec;

import java.util.concurrent.locks.LockSupport;

/**
 * Wall-clock time from {@link System#nanoTime()}. Waits are to absolute deadlines, so the error of
 * one wait (the OS wakes a thread late by tens of microseconds) is not carried into the next: the
 * executive computes each deadline from the previous deadline, not from when it woke up.
 */
public final class RealClock implements Clock {
  @Override
  public long now() {
    return System.nanoTime();
  }

  @Override
  public void sleepUntil(long deadline) throws InterruptedException {
    for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(this, left);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }
}
