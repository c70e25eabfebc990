package dev.llmemu.engine.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LengthPairDistributionTest {

  @Test
  void shareGptLikePairsPassVllmsFilterAndMatchThePublishedMeans() {
    SplittableRandom random = new SplittableRandom(0);
    double prompt = 0;
    double output = 0;
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      LengthPair s = ShareGptLengths.pairs().sample(random);
      assertThat(s.prompt()).isBetween(4, 1024);
      assertThat(s.output()).isGreaterThanOrEqualTo(4);
      assertThat(s.prompt() + s.output()).isLessThanOrEqualTo(2048);
      prompt += s.prompt();
      output += s.output();
    }
    assertThat(prompt / n)
        .isCloseTo(
            ShareGptLengths.PUBLISHED_MEAN_PROMPT,
            within(ShareGptLengths.PUBLISHED_MEAN_PROMPT * 0.03));
    assertThat(output / n)
        .isCloseTo(
            ShareGptLengths.PUBLISHED_MEAN_OUTPUT,
            within(ShareGptLengths.PUBLISHED_MEAN_OUTPUT * 0.03));
  }

  @Test
  void shareGptLikeSamplingIsPinnedSoSeededResultsStayReproducible() {
    // Fidelity runs (docs/fidelity.md) depend on these draws: changing the sampler changes them.
    SplittableRandom random = new SplittableRandom(42);
    assertThat(
            List.of(
                ShareGptLengths.sample(random),
                ShareGptLengths.sample(random),
                ShareGptLengths.sample(random)))
        .containsExactly(LengthPair.of(72, 350), LengthPair.of(588, 329), LengthPair.of(179, 68));
    assertThat(ShareGptLengths.pairs()).hasToString("ShareGPT-like");
  }

  @Test
  void marginalsAreThePairsComponents() {
    assertThat(ShareGptLengths.prompt().sample(new SplittableRandom(7)))
        .isEqualTo(ShareGptLengths.sample(new SplittableRandom(7)).prompt());
    assertThat(ShareGptLengths.output().sample(new SplittableRandom(7)))
        .isEqualTo(ShareGptLengths.sample(new SplittableRandom(7)).output());
  }

  @Test
  void independentAndChoice() {
    LengthPairDistribution independent =
        LengthPairDistribution.independent(
            LengthDistribution.fixed(10), LengthDistribution.uniform(3, 5));
    assertThat(independent).hasToString("prompts fixed(10), outputs uniform(3, 5)");
    LengthPair p = independent.sample(new SplittableRandom(1));
    assertThat(p.prompt()).isEqualTo(10);
    assertThat(p.output()).isBetween(3, 5);

    List<LengthPair> mine = List.of(LengthPair.of(100, 20), LengthPair.of(2000, 5));
    LengthPairDistribution choice = LengthPairDistribution.choice(mine);
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 50; i++) {
      assertThat(choice.sample(random)).isIn(mine);
    }
    assertThatThrownBy(() -> LengthPairDistribution.choice(List.of()))
        .hasMessage("choice needs at least one length pair");
    assertThatThrownBy(() -> LengthPair.of(0, 5))
        .hasMessage("lengths must be at least 1, got prompt 0 and output 5");
  }

  @Test
  void workloadsTakePairs() {
    Workload w = Workload.builder().requests(200).lengths(ShareGptLengths.pairs()).seed(9).build();
    SplittableRandom expected = new SplittableRandom(9);
    expected.split(); // arrivals
    SplittableRandom lengths = expected.split();
    for (int i = 0; i < w.size(); i++) {
      LengthPair pair = ShareGptLengths.sample(lengths);
      assertThat(w.requests().get(i).promptLength()).isEqualTo(pair.prompt());
      assertThat(w.requests().get(i).maxTokens()).isEqualTo(pair.output());
    }
    assertThat(w).hasToString("200 requests, arrivals all-at-once, ShareGPT-like");
  }
}
