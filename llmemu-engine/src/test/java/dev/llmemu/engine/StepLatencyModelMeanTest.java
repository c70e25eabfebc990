package dev.llmemu.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llmemu.engine.profile.Profiles;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * {@link StepLatencyModel#meanNanos}: the jitter-free step time a predictor outside the engine
 * uses.
 */
class StepLatencyModelMeanTest {

  /** A decode-only step of {@code n} requests attending to {@code kv} tokens each. */
  record Decodes(int n, int kv) implements StepBatch {
    @Override
    public int totalTokens() {
      return n;
    }

    @Override
    public int numRequests() {
      return n;
    }

    @Override
    public int numNewRequests() {
      return 0;
    }

    @Override
    public int numDecodes() {
      return n;
    }

    @Override
    public long decodeContextTokens() {
      return (long) n * kv;
    }

    @Override
    public int numPrefills() {
      return 0;
    }

    @Override
    public int prefillChunkTokens(int i) {
      throw new IndexOutOfBoundsException(i);
    }

    @Override
    public int prefillContextTokens(int i) {
      throw new IndexOutOfBoundsException(i);
    }
  }

  @Test
  void constantAndLinearModelsAnswerTheirExactValue() {
    assertThat(StepLatencyModel.constant(Duration.ofMillis(7)).meanNanos(new Decodes(3, 100)))
        .isEqualTo(7_000_000L);
    StepLatencyModel linear =
        StepLatencyModel.linear(
            Duration.ofMillis(1), Duration.ofNanos(10_000), Duration.ofNanos(100_000));
    // 1 ms + 4 tokens x 10 us + 4 requests x 100 us
    assertThat(linear.meanNanos(new Decodes(4, 100))).isEqualTo(1_440_000L);
  }

  @Test
  void theDefaultAveragesDrawsDeterministically() {
    // A model of our own, uniform on [1 ms, 3 ms]: its mean is 2 ms.
    StepLatencyModel noisy =
        (batch, random) -> 1_000_000L + (long) (random.nextDouble() * 2_000_000L);
    long first = noisy.meanNanos(new Decodes(1, 0));
    assertThat(first).isEqualTo(noisy.meanNanos(new Decodes(1, 0)));
    assertThat((double) first).isCloseTo(2_000_000, within(250_000.0));
  }

  @Test
  void aKernelProfilesMeanIsItsStepWithoutJitter() {
    StepLatencyModel model = Profiles.load("h100-llama-3.1-8b").latencyModel();
    Decodes batch = new Decodes(16, 400);
    long mean = model.meanNanos(batch);
    assertThat(mean).isEqualTo(model.meanNanos(batch));
    // Draws scatter around the mean, and their average converges on it.
    RandomGenerator random = new SplittableRandom(3);
    double sum = 0;
    int n = 4000;
    for (int i = 0; i < n; i++) {
      sum += model.stepNanos(batch, random);
    }
    assertThat(sum / n).isCloseTo(mean, within(mean * 0.01));
    // Bigger batches and longer contexts take longer, as the draws do.
    assertThat(model.meanNanos(new Decodes(64, 400))).isGreaterThan(mean);
    assertThat(model.meanNanos(new Decodes(16, 4000))).isGreaterThan(mean);
  }

  @Test
  void anEmptyStepTakesNoTime() {
    assertThat(Profiles.load("h100-llama-3.1-8b").latencyModel().meanNanos(new Decodes(0, 0)))
        .isZero();
  }
}
