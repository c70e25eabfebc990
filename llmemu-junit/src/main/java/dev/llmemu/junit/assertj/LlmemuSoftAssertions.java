package dev.llmemu.junit.assertj;

import dev.llmemu.junit.load.BenchmarkResult;
import org.assertj.core.api.AbstractSoftAssertions;

/**
 * Soft assertions on load results: every failure is collected and reported together.
 *
 * <pre>{@code
 * LlmemuSoftAssertions softly = new LlmemuSoftAssertions();
 * softly.assertThat(result).ttft().p99().isLessThan(ofMillis(300));
 * softly.assertThat(result).tpot().p99().isLessThan(ofMillis(40));
 * softly.assertAll();
 * }</pre>
 *
 * Works with AssertJ's {@code SoftAssertionsExtension} and {@code @InjectSoftAssertions}.
 *
 * @since 0.1.0
 */
public class LlmemuSoftAssertions extends AbstractSoftAssertions {

  public BenchmarkResultAssert assertThat(BenchmarkResult actual) {
    BenchmarkResultAssert a = proxy(BenchmarkResultAssert.class, BenchmarkResult.class, actual);
    a.softly = this;
    return a;
  }
}
