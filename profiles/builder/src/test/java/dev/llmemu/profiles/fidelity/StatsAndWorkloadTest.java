package dev.llmemu.profiles.fidelity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.workload.LengthPair;
import dev.llmemu.engine.workload.ShareGptLengths;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StatsAndWorkloadTest {

  @Test
  void percentilesInterpolateLinearlyAsNumpyDoes() {
    double[] v = {5, 1, 4, 2, 3};
    assertThat(Stats.percentile(v, 50)).isEqualTo(3.0);
    assertThat(Stats.percentile(v, 90)).isCloseTo(4.6, within(1e-12));
    assertThat(Stats.percentile(v, 0)).isEqualTo(1.0);
    assertThat(Stats.errorPct(110, 100)).isCloseTo(10, within(1e-12));
  }

  @Test
  void shareGptLikeLengthsMatchThePublishedMeansAndVllmsFilter() {
    SplittableRandom random = new SplittableRandom(0);
    double prompt = 0;
    double output = 0;
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      LengthPair s = ShareGptLengths.sample(random);
      assertThat(s.prompt()).isBetween(4, 1024);
      assertThat(s.output()).isGreaterThanOrEqualTo(4);
      assertThat(s.prompt() + s.output()).isLessThanOrEqualTo(2048);
      prompt += s.prompt();
      output += s.output();
    }
    assertThat(prompt / n).isCloseTo(229.7, within(229.7 * 0.03));
    assertThat(output / n).isCloseTo(203.1, within(203.1 * 0.03));
  }

  @Test
  void benchServeArrivalsAreRescaledToNOverRate() {
    var o =
        new BenchServeWorkload.Options(
            BenchServeWorkload.Dataset.RANDOM, 200, 10, 0.25, 100, 20, 0.5, true, 3);
    List<RequestSpec> specs = BenchServeWorkload.build(o, Path.of("."));

    assertThat(specs).hasSize(200);
    assertThat(specs.get(199).arrival().toNanos()).isEqualTo(20_000_000_000L);
    assertThat(specs)
        .allSatisfy(
            s -> {
              assertThat(s.promptLength()).isBetween(50 + 1, 150 + 1);
              assertThat(s.maxTokens()).isBetween(10, 30);
            });
    var burst =
        BenchServeWorkload.build(
            new BenchServeWorkload.Options(
                BenchServeWorkload.Dataset.SHAREGPT_LIKE,
                50,
                Double.POSITIVE_INFINITY,
                1,
                0,
                0,
                0,
                false,
                1),
            Path.of("."));
    assertThat(burst).allSatisfy(s -> assertThat(s.arrival().isZero()).isTrue());
    assertThat(burst).allSatisfy(s -> assertThat(s.outputTokensHint()).isEqualTo(s.maxTokens()));
  }
}
