package dev.llmemu.engine.workload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.RequestSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class WorkloadTest {

  @Test
  void buildsRequestsWithTheRequestedShapes() {
    Workload w =
        Workload.builder()
            .requests(50)
            .arrivals(ArrivalProcess.constant(10))
            .promptLength(LengthDistribution.uniform(20, 30))
            .outputLength(LengthDistribution.fixed(7))
            .sharedPrefixTokens(16)
            .seed(5)
            .build();
    assertThat(w.requests()).hasSize(50);
    RequestSpec first = w.requests().get(0);
    for (RequestSpec r : w.requests()) {
      assertThat(r.promptLength()).isBetween(20, 30);
      assertThat(r.maxTokens()).isEqualTo(7);
      assertThat(r.ignoreEos()).isTrue();
      assertThat(Arrays.copyOf(r.promptTokenIds(), 16))
          .containsExactly(Arrays.copyOf(first.promptTokenIds(), 16));
    }
    assertThat(w.requests().get(10).arrival().toMillis()).isEqualTo(1000);
  }

  @Test
  void sameSeedSameWorkload() {
    Workload.Builder b =
        Workload.builder()
            .requests(20)
            .arrivals(ArrivalProcess.poisson(5))
            .promptLength(LengthDistribution.uniform(1, 100));
    assertThat(b.seed(3).build().requests()).isEqualTo(b.seed(3).build().requests());
    assertThat(b.seed(3).build().requests()).isNotEqualTo(b.seed(4).build().requests());
  }

  @Test
  void rangeRatioFollowsVllmBench() {
    int[] sorted =
        LengthDistribution.sampleSorted(
            LengthDistribution.rangeRatio(100, 0.5), 10_000, new java.util.SplittableRandom(1));
    assertThat(sorted[0]).isEqualTo(50);
    assertThat(sorted[sorted.length - 1]).isEqualTo(150);
  }
}
