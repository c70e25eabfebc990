package dev.llmemu.engine.internal.server;

import java.util.SplittableRandom;

/**
 * Server-wide fault injection that can change at runtime: a share of generation requests answered
 * with an error status. Per-request faults come from {@code X-Llmemu-*} headers instead.
 */
public final class Faults {
  private final SplittableRandom random;
  private volatile double failureRate;
  private volatile int failureStatus = 500;

  public Faults(long seed) {
    this.random = new SplittableRandom(seed ^ 0xFA17_5EEDL);
  }

  public void set(double rate, int status) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException("failure rate must be in [0, 1], got " + rate);
    }
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("failure status must be a 4xx or 5xx code, got " + status);
    }
    this.failureStatus = status;
    this.failureRate = rate;
  }

  public double failureRate() {
    return failureRate;
  }

  public int failureStatus() {
    return failureStatus;
  }

  /** Draws whether this request fails; 0 if not, else the status to answer. */
  int draw() {
    double rate = failureRate;
    if (rate <= 0) {
      return 0;
    }
    double u;
    synchronized (random) {
      u = random.nextDouble();
    }
    return u < rate ? failureStatus : 0;
  }
}
