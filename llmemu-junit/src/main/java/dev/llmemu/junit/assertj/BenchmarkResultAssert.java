package dev.llmemu.junit.assertj;

import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LatencyDistribution;
import dev.llmemu.junit.load.RequestRecord;
import dev.llmemu.junit.load.Slo;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.assertj.core.api.AbstractAssert;
import org.assertj.core.api.AbstractDoubleAssert;
import org.assertj.core.api.DoubleAssert;
import org.assertj.core.api.ListAssert;
import org.assertj.core.api.SoftAssertionsProvider;
import org.jspecify.annotations.Nullable;

/**
 * Assertions on a load run's {@link BenchmarkResult}. Start with {@link
 * LlmemuAssertions#assertThat(BenchmarkResult)}.
 *
 * <pre>{@code
 * assertThat(result).hasNoErrors();
 * assertThat(result).ttft().p99().isLessThan(Duration.ofMillis(300));
 * assertThat(result).goodput(slo).isGreaterThan(9.5);     // requests/s meeting every objective
 * assertThat(result).sloAttainment(slo).isGreaterThanOrEqualTo(0.99);
 * }</pre>
 *
 * @since 0.1.0
 */
public class BenchmarkResultAssert extends AbstractAssert<BenchmarkResultAssert, BenchmarkResult> {
  @Nullable SoftAssertionsProvider softly;

  public BenchmarkResultAssert(BenchmarkResult actual) {
    super(actual, BenchmarkResultAssert.class);
  }

  /** Time to first token: sending to the first streamed event with choices. */
  public LatencyAssert ttft() {
    return latency(actual.ttft(), RequestRecord::ttft);
  }

  /** Time per output token after the first: {@code (E2E − TTFT) / (n − 1)} per request. */
  public LatencyAssert tpot() {
    return latency(actual.tpot(), RequestRecord::tpot);
  }

  /** Inter-token latency: every gap between streamed events, pooled over requests. */
  public LatencyAssert itl() {
    return latency(actual.itl(), r -> null);
  }

  /** End-to-end latency: sending to the last streamed event. */
  public LatencyAssert e2eLatency() {
    return latency(actual.e2eLatency(), RequestRecord::e2eLatency);
  }

  /** The engine's queue time per request (llmemu servers only). */
  public LatencyAssert serverQueueTime() {
    return latency(
        actual.serverQueueTime(), r -> r.server() == null ? null : r.server().queueTime());
  }

  private LatencyAssert latency(
      LatencyDistribution d, Function<RequestRecord, @Nullable Duration> metric) {
    isNotNull();
    LatencyAssert a =
        softly == null
            ? new LatencyAssert(d)
            : softly.proxy(LatencyAssert.class, LatencyDistribution.class, d);
    return a.context(actual.requests(), metric, softly);
  }

  /** Output tokens per second over the run. */
  public AbstractDoubleAssert<?> throughput() {
    return number(actual.outputThroughput(), "output throughput (tokens/s)");
  }

  /** Completed requests per second over the run. */
  public AbstractDoubleAssert<?> requestThroughput() {
    return number(actual.requestThroughput(), "request throughput (requests/s)");
  }

  /** Requests per second that met every objective of {@code slo}. */
  public AbstractDoubleAssert<?> goodput(Slo slo) {
    return number(actual.goodput(slo), "goodput (requests/s) under " + slo);
  }

  /** Fraction of requests, failed ones included, that met {@code slo} (0..1). */
  public AbstractDoubleAssert<?> sloAttainment(Slo slo) {
    return number(actual.sloAttainment(slo), "SLO attainment under " + slo);
  }

  /** The failed requests, described by their errors. */
  public ListAssert<RequestRecord> errors() {
    isNotNull();
    List<RequestRecord> errors = actual.errors();
    ListAssert<RequestRecord> a =
        softly == null
            ? new ListAssert<>(errors)
            : softly.proxy(ListAssert.class, List.class, errors);
    return a.as(describeErrors(errors));
  }

  /** Fails if any request failed, listing the first errors. */
  public BenchmarkResultAssert hasNoErrors() {
    isNotNull();
    List<RequestRecord> errors = actual.errors();
    if (!errors.isEmpty()) {
      failWithMessage("Expecting no failed requests but %s", describeErrors(errors));
    }
    return myself;
  }

  /** Fails unless exactly {@code count} requests completed. */
  public BenchmarkResultAssert hasCompleted(int count) {
    isNotNull();
    if (actual.completed() != count) {
      failWithMessage(
          "Expecting %d completed requests but %d completed and %d failed%s",
          count,
          actual.completed(),
          actual.failed(),
          actual.failed() > 0 ? ": " + describeErrors(actual.errors()) : "");
    }
    return myself;
  }

  private AbstractDoubleAssert<?> number(double value, String what) {
    isNotNull();
    AbstractDoubleAssert<?> a =
        softly == null
            ? new DoubleAssert(value)
            : softly.proxy(DoubleAssert.class, Double.class, value);
    return a.as(
        String.format(
            Locale.ROOT,
            "%s of %s (%d completed, %d failed in %.1f s)",
            what,
            actual.description(),
            actual.completed(),
            actual.failed(),
            actual.duration().toNanos() / 1e9));
  }

  private static String describeErrors(List<RequestRecord> errors) {
    StringBuilder d = new StringBuilder();
    d.append(errors.size()).append(" failed requests");
    errors.stream()
        .limit(5)
        .forEach(
            r ->
                d.append("\n  #")
                    .append(r.index())
                    .append(' ')
                    .append(r.requestId())
                    .append(": ")
                    .append(r.error()));
    if (errors.size() > 5) {
      d.append("\n  …");
    }
    return d.toString();
  }
}
