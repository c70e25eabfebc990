package dev.llmemu.engine.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ArrivalProcessTest {

  @Test
  void constantIsEvenlySpacedFromZero() {
    assertThat(ArrivalProcess.constant(4).arrivalsNanos(3, new SplittableRandom(1)))
        .containsExactly(0, 250_000_000, 500_000_000);
  }

  @Test
  void poissonIsRescaledSoTheLastRequestIsSentAtCountOverRate() {
    long[] t = ArrivalProcess.poisson(10).arrivalsNanos(1000, new SplittableRandom(1));
    assertThat(t).isSorted();
    assertThat(t[999]).isEqualTo(100_000_000_000L);
    assertThat(t[0]).isPositive();
    // exponential gaps: coefficient of variation ~1
    assertThat(coefficientOfVariation(t)).isCloseTo(1.0, within(0.1));
  }

  @Test
  void gammaBurstinessControlsVariability() {
    long[] bursty = ArrivalProcess.gamma(10, 0.25).arrivalsNanos(4000, new SplittableRandom(2));
    long[] regular = ArrivalProcess.gamma(10, 4).arrivalsNanos(4000, new SplittableRandom(2));
    // CV of Gamma(k) gaps is 1/sqrt(k): 2 for k = 0.25, 0.5 for k = 4
    assertThat(coefficientOfVariation(bursty)).isCloseTo(2.0, within(0.2));
    assertThat(coefficientOfVariation(regular)).isCloseTo(0.5, within(0.05));
  }

  @Test
  void sameSeedSameArrivals() {
    ArrivalProcess p = ArrivalProcess.gamma(3, 0.5);
    assertThat(p.arrivalsNanos(100, new SplittableRandom(9)))
        .containsExactly(p.arrivalsNanos(100, new SplittableRandom(9)));
  }

  @Test
  void rampRaisesTheRate() {
    long[] t = ArrivalProcess.linearRamp(1, 100).arrivalsNanos(2000, new SplittableRandom(3));
    long firstHalf = t[999] - t[0];
    long secondHalf = t[1999] - t[1000];
    assertThat(secondHalf).isLessThan(firstHalf / 4);
  }

  @Test
  void badRatesAreRejected() {
    assertThatThrownBy(() -> ArrivalProcess.poisson(0))
        .hasMessage("request rate must be positive and finite, got 0.0");
    assertThatThrownBy(() -> ArrivalProcess.gamma(1, -1))
        .hasMessage("burstiness must be positive, got -1.0");
  }

  private static double coefficientOfVariation(long[] times) {
    double[] gaps = new double[times.length - 1];
    double mean = 0;
    for (int i = 1; i < times.length; i++) {
      gaps[i - 1] = times[i] - times[i - 1];
      mean += gaps[i - 1];
    }
    mean /= gaps.length;
    double var = 0;
    for (double g : gaps) {
      var += (g - mean) * (g - mean);
    }
    return Math.sqrt(var / gaps.length) / mean;
  }
}
