package dev.llmemu.engine.workload;

import java.util.random.RandomGenerator;

/**
 * When requests arrive, as offsets from the start of a run. Implementations are pure functions of
 * the generator they are given.
 */
@FunctionalInterface
public interface ArrivalProcess {

  /** Arrival offsets in nanoseconds, non-decreasing, for {@code count} requests. */
  long[] arrivalsNanos(int count, RandomGenerator random);

  /** Every request at time 0 ({@code vllm bench serve} with the default infinite rate). */
  static ArrivalProcess allAtOnce() {
    return named("all-at-once", (count, random) -> new long[count]);
  }

  /** Evenly spaced: request {@code i} at {@code i / rate}. */
  static ArrivalProcess constant(double ratePerSecond) {
    checkRate(ratePerSecond);
    return named(
        "constant(" + ratePerSecond + "/s)",
        (count, random) -> {
          long[] t = new long[count];
          for (int i = 0; i < count; i++) {
            t[i] = Math.round(i * 1e9 / ratePerSecond);
          }
          return t;
        });
  }

  /** Poisson arrivals: {@link #gamma} with burstiness 1, as {@code vllm bench serve}. */
  static ArrivalProcess poisson(double ratePerSecond) {
    checkRate(ratePerSecond);
    return named("poisson(" + ratePerSecond + "/s)", gammaTimes(ratePerSecond, 1.0));
  }

  /**
   * {@code vllm bench serve}'s arrivals: i.i.d. Gamma(shape = burstiness, scale = 1 / (rate ×
   * burstiness)) gaps, summed, then rescaled so the last request is sent at exactly {@code count /
   * rate}. Burstiness below 1 is burstier than Poisson, above 1 more regular.
   */
  static ArrivalProcess gamma(double ratePerSecond, double burstiness) {
    checkRate(ratePerSecond);
    if (!(burstiness > 0) || Double.isInfinite(burstiness)) {
      throw new IllegalArgumentException("burstiness must be positive, got " + burstiness);
    }
    return named(
        "gamma(" + ratePerSecond + "/s, burstiness=" + burstiness + ")",
        gammaTimes(ratePerSecond, burstiness));
  }

  /**
   * A linear ramp of the rate from {@code startRate} to {@code endRate} across the requests, with
   * Poisson gaps at the current rate ({@code vllm bench serve --ramp-up-strategy linear}; no
   * rescaling).
   */
  static ArrivalProcess linearRamp(double startRate, double endRate) {
    checkRate(startRate);
    checkRate(endRate);
    return named(
        "ramp(" + startRate + "/s -> " + endRate + "/s)",
        (count, random) -> {
          long[] t = new long[count];
          double now = 0;
          for (int i = 0; i < count; i++) {
            double progress = count == 1 ? 0 : (double) i / (count - 1);
            double rate = startRate + (endRate - startRate) * progress;
            now += -Math.log(1 - random.nextDouble()) / rate;
            t[i] = Math.round(now * 1e9);
          }
          return t;
        });
  }

  private static ArrivalProcess gammaTimes(double rate, double burstiness) {
    return (count, random) -> {
      double[] cumulative = new double[count];
      double sum = 0;
      for (int i = 0; i < count; i++) {
        sum += Gamma.sample(random, burstiness, 1.0 / (rate * burstiness));
        cumulative[i] = sum;
      }
      long[] t = new long[count];
      if (count == 0) {
        return t;
      }
      double factor = sum > 0 ? (count / rate) / sum : 0;
      for (int i = 0; i < count; i++) {
        t[i] = Math.round(cumulative[i] * factor * 1e9);
      }
      return t;
    };
  }

  private static void checkRate(double rate) {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("request rate must be positive and finite, got " + rate);
    }
  }

  private static ArrivalProcess named(String name, ArrivalProcess process) {
    return new ArrivalProcess() {
      @Override
      public long[] arrivalsNanos(int count, RandomGenerator random) {
        return process.arrivalsNanos(count, random);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }
}
