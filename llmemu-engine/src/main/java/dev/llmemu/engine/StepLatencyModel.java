package dev.llmemu.engine;

import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * How long one engine step takes on the emulated GPU, given what the step computes. This is the
 * only part of vLLM that llmemu fakes: the sampled duration is the period between consecutive
 * engine steps.
 *
 * <p>Implementations must be deterministic given the generator they are handed, and must not keep
 * the batch. They are called on the engine's executive thread only.
 */
@FunctionalInterface
public interface StepLatencyModel {

  /** Duration of the step in nanoseconds; must be positive when the batch has tokens. */
  long stepNanos(StepBatch batch, RandomGenerator random);

  /**
   * The expected duration of a step with this composition, in nanoseconds: the step without its
   * run-to-run jitter, for predictions made outside the engine (a router estimating where a request
   * would finish first, a capacity estimate). Deterministic, and safe to call from any thread when
   * {@link #stepNanos} is (the bundled profiles' models are).
   *
   * <p>The default averages 64 draws of {@link #stepNanos} from a generator with a fixed seed,
   * which suits any model; the bundled kernel profiles and {@link #constant} and {@link #linear}
   * answer their exact jitter-free value instead.
   */
  default long meanNanos(StepBatch batch) {
    int draws = 64;
    RandomGenerator random = new SplittableRandom(0x5DEECE66DL);
    long sum = 0;
    for (int i = 0; i < draws; i++) {
      sum += stepNanos(batch, random);
    }
    return Math.round(sum / (double) draws);
  }

  /** Every step takes {@code step}, whatever it computes: handy for tests and load benchmarks. */
  static StepLatencyModel constant(Duration step) {
    long nanos = positive(step, "step");
    return new StepLatencyModel() {
      @Override
      public long stepNanos(StepBatch batch, RandomGenerator random) {
        return nanos;
      }

      @Override
      public long meanNanos(StepBatch batch) {
        return nanos;
      }

      @Override
      public String toString() {
        return "constant(" + step + ")";
      }
    };
  }

  /**
   * {@code base + perToken × tokens + perRequest × requests}: a first-order model of a GPU step
   * (fixed launch cost, compute per token, attention and bookkeeping per sequence).
   */
  static StepLatencyModel linear(Duration base, Duration perToken, Duration perRequest) {
    long b = positive(base, "base");
    long t = notNegative(perToken, "perToken");
    long r = notNegative(perRequest, "perRequest");
    return new StepLatencyModel() {
      @Override
      public long stepNanos(StepBatch batch, RandomGenerator random) {
        return meanNanos(batch);
      }

      @Override
      public long meanNanos(StepBatch batch) {
        return b + t * batch.totalTokens() + r * batch.numRequests();
      }

      @Override
      public String toString() {
        return "linear(base="
            + base
            + ", perToken="
            + perToken
            + ", perRequest="
            + perRequest
            + ")";
      }
    };
  }

  private static long positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
    return d.toNanos();
  }

  private static long notNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, got " + d);
    }
    return d.toNanos();
  }
}
