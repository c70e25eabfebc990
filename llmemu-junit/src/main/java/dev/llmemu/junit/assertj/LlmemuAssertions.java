package dev.llmemu.junit.assertj;

import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LatencyDistribution;

/**
 * Entry point for llmemu's AssertJ assertions.
 *
 * <pre>{@code
 * import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
 *
 * assertThat(result).ttft().p99().isLessThan(Duration.ofMillis(300));
 * }</pre>
 *
 * @since 0.1.0
 */
public final class LlmemuAssertions {
  private LlmemuAssertions() {}

  public static BenchmarkResultAssert assertThat(BenchmarkResult actual) {
    return new BenchmarkResultAssert(actual);
  }

  public static LatencyAssert assertThat(LatencyDistribution actual) {
    return new LatencyAssert(actual);
  }
}
