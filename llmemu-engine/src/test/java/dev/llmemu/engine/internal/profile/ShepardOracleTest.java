package dev.llmemu.engine.internal.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShepardOracleTest {

  private static ShepardOracle.Bucket bucket(double tt, double conc, double... samples) {
    return new ShepardOracle.Bucket(new double[] {tt, conc}, samples);
  }

  private static double[] repeat(double value, int n) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, value);
    return a;
  }

  @Test
  void exactMatchDrawsOnlyFromThatBucketEvenWhenItIsSmall() {
    ShepardOracle oracle =
        new ShepardOracle(List.of(bucket(10, 2, 1000, 1001), bucket(20, 2, repeat(5000, 100))), 30);

    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < 200; i++) {
      assertThat(oracle.sample(new double[] {10, 2}, random)).isIn(1000.0, 1001.0);
    }
    assertThat(oracle.bucketProbabilities(new double[] {10, 2})).containsExactly(1.0, 0.0);
  }

  @Test
  void poolsNearestBucketsWithInverseSquareDistanceWeightsUntilThirtySamples() {
    // Keys on a line in tt; range is 40 - 0 = 40, conc range 0 -> 1.
    ShepardOracle oracle =
        new ShepardOracle(
            List.of(
                bucket(0, 2, repeat(100, 10)),
                bucket(10, 2, repeat(200, 10)),
                bucket(20, 2, repeat(300, 10)),
                bucket(40, 2, repeat(400, 10))),
            30);
    // Query tt=12: distances 12/40, 2/40, 8/40, 28/40; the nearest three hold 30 samples.
    double[] p = oracle.bucketProbabilities(new double[] {12, 2});
    double w0 = 1 / Math.pow(12 / 40.0, 2);
    double w1 = 1 / Math.pow(2 / 40.0, 2);
    double w2 = 1 / Math.pow(8 / 40.0, 2);
    double sum = w0 + w1 + w2;
    assertThat(p[0]).isCloseTo(w0 / sum, within(1e-12));
    assertThat(p[1]).isCloseTo(w1 / sum, within(1e-12));
    assertThat(p[2]).isCloseTo(w2 / sum, within(1e-12));
    assertThat(p[3]).isZero();

    // And the draws follow those weights.
    SplittableRandom random = new SplittableRandom(7);
    int[] counts = new int[4];
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      counts[(int) (oracle.sample(new double[] {12, 2}, random) / 100) - 1]++;
    }
    assertThat(counts[1] / (double) n).isCloseTo(w1 / sum, within(0.01));
    assertThat(counts[2] / (double) n).isCloseTo(w2 / sum, within(0.01));
    assertThat(counts[3]).isZero();
  }

  @Test
  void aSingleBucketHoldingEnoughSamplesIsUsedAlone() {
    ShepardOracle oracle =
        new ShepardOracle(
            List.of(bucket(0, 2, repeat(100, 40)), bucket(10, 2, repeat(200, 40))), 30);

    assertThat(oracle.bucketProbabilities(new double[] {3, 2})).containsExactly(1.0, 0.0);
  }

  @Test
  void sparseTablesPoolEverythingAndQueriesOutsideTheDataSnapToTheNearest() {
    ShepardOracle oracle =
        new ShepardOracle(List.of(bucket(1, 2, 10), bucket(2048, 257, 300_000)), 30);

    // Fewer than 30 samples in the whole table: both buckets are pooled.
    double[] p = oracle.bucketProbabilities(new double[] {1000, 100});
    assertThat(p[0]).isPositive();
    assertThat(p[1]).isPositive();
    // Far beyond the data: no extrapolation, only samples that exist.
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 100; i++) {
      assertThat(oracle.sample(new double[] {100_000, 5000}, random)).isIn(10.0, 300_000.0);
    }
  }

  @Test
  void emptyBucketsAreSkippedAndAnAllEmptyTableCannotAnswer() {
    ShepardOracle oracle =
        new ShepardOracle(List.of(bucket(10, 2), bucket(11, 2, repeat(7, 30))), 30);
    assertThat(oracle.bucketProbabilities(new double[] {10, 2})).containsExactly(0.0, 1.0);

    ShepardOracle empty = new ShepardOracle(List.of(bucket(10, 2)), 30);
    assertThat(empty.isEmpty()).isTrue();
    assertThatThrownBy(() -> empty.sample(new double[] {10, 2}, new SplittableRandom(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the table holds no samples");
    assertThat(new ShepardOracle(List.of(), 30).isEmpty()).isTrue();
  }

  @Test
  void tiesGoToTheEarlierBucketInTableOrder() {
    ShepardOracle oracle =
        new ShepardOracle(List.of(bucket(0, 2, repeat(1, 30)), bucket(20, 2, repeat(2, 30))), 30);

    assertThat(oracle.bucketProbabilities(new double[] {10, 2})).containsExactly(1.0, 0.0);
  }

  @Test
  void theSameSeedGivesTheSameSequenceAndAnotherSeedAnother() {
    List<ShepardOracle.Bucket> buckets = new ArrayList<>();
    for (int tt = 1; tt <= 50; tt++) {
      double[] s = new double[5];
      for (int i = 0; i < s.length; i++) {
        s[i] = tt * 1000 + i;
      }
      buckets.add(bucket(tt, 7, s));
    }
    ShepardOracle oracle = new ShepardOracle(buckets, ShepardOracle.DEFAULT_MIN_SAMPLES);

    double[] a = draws(oracle, 42);
    assertThat(draws(oracle, 42)).containsExactly(a);
    assertThat(draws(oracle, 43)).isNotEqualTo(a);
  }

  private static double[] draws(ShepardOracle oracle, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] out = new double[100];
    for (int i = 0; i < out.length; i++) {
      out[i] = oracle.sample(new double[] {(i % 60) + 0.5, 7}, random);
    }
    return out;
  }

  @Test
  void worksInThreeDimensions() {
    ShepardOracle oracle =
        new ShepardOracle(
            List.of(
                new ShepardOracle.Bucket(new double[] {100, 7, 0}, repeat(10, 30)),
                new ShepardOracle.Bucket(new double[] {100, 7, 1}, repeat(20, 30)),
                new ShepardOracle.Bucket(new double[] {100, 12, 2}, repeat(30, 30))),
            30);

    assertThat(oracle.dimensions()).isEqualTo(3);
    assertThat(oracle.sample(new double[] {100, 7, 1}, new SplittableRandom(1))).isEqualTo(20.0);
    assertThatThrownBy(() -> oracle.sample(new double[] {100, 7}, new SplittableRandom(1)))
        .hasMessage("query has 2 values, the table has 3 dimensions");
  }
}
