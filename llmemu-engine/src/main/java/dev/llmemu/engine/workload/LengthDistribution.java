package dev.llmemu.engine.workload;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/** A distribution of token counts (prompt or output lengths). */
@FunctionalInterface
public interface LengthDistribution {

  /** One length, at least 1. */
  int sample(RandomGenerator random);

  static LengthDistribution fixed(int length) {
    checkLength(length);
    return named("fixed(" + length + ")", random -> length);
  }

  /** Uniform over the integers in {@code [min, max]}. */
  static LengthDistribution uniform(int min, int max) {
    checkLength(min);
    if (max < min) {
      throw new IllegalArgumentException(
          "uniform length needs min <= max, got [" + min + ", " + max + "]");
    }
    return named("uniform(" + min + ", " + max + ")", random -> random.nextInt(min, max + 1));
  }

  /**
   * {@code vllm bench serve --dataset-name random}: uniform over {@code [floor(L(1−r)),
   * ceil(L(1+r))]} with {@code 0 <= r < 1}, never below 1.
   */
  static LengthDistribution rangeRatio(int length, double rangeRatio) {
    checkLength(length);
    if (!(rangeRatio >= 0 && rangeRatio < 1)) {
      throw new IllegalArgumentException("range ratio must be in [0, 1), got " + rangeRatio);
    }
    int min = Math.max(1, (int) Math.floor(length * (1 - rangeRatio)));
    int max = (int) Math.ceil(length * (1 + rangeRatio));
    return named(
        "rangeRatio(" + length + ", " + rangeRatio + ")", random -> random.nextInt(min, max + 1));
  }

  /** Draws uniformly from the given lengths (a user's own list). */
  static LengthDistribution choice(int... lengths) {
    if (lengths.length == 0) {
      throw new IllegalArgumentException("choice needs at least one length");
    }
    for (int l : lengths) {
      checkLength(l);
    }
    int[] copy = lengths.clone();
    return named(
        "choice(" + copy.length + " lengths)", random -> copy[random.nextInt(copy.length)]);
  }

  private static void checkLength(int length) {
    if (length < 1) {
      throw new IllegalArgumentException("lengths must be at least 1, got " + length);
    }
  }

  private static LengthDistribution named(String name, LengthDistribution d) {
    return new LengthDistribution() {
      @Override
      public int sample(RandomGenerator random) {
        return d.sample(random);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }

  /** Sorted copy, for tests and summaries. */
  static int[] sampleSorted(LengthDistribution d, int count, RandomGenerator random) {
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      out[i] = d.sample(random);
    }
    Arrays.sort(out);
    return out;
  }
}
