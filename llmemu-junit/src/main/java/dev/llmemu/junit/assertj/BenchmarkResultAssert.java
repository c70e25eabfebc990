package dev.llmemu.junit.assertj;

import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LatencyDistribution;
import dev.llmemu.junit.load.RequestError;
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

  /**
   * Time to first token of successful requests: from just before sending to the first streamed
   * event with choices ({@code vllm bench serve}'s TTFT).
   *
   * <pre>{@code
   * assertThat(result).ttft().p99().isLessThan(ofMillis(300)); // passes if p99 < 300 ms
   * assertThat(result).ttft().p99().isLessThan(ofMillis(1));   // fails, listing the slowest
   * }</pre>
   *
   * @throws AssertionError if the result is null
   */
  public LatencyAssert ttft() {
    return latency(actual.ttft(), RequestRecord::ttft, "slowest requests", true);
  }

  /**
   * Time per output token after the first, per successful request with at least two tokens: {@code
   * (E2E − TTFT) / (output tokens − 1)}.
   *
   * @throws AssertionError if the result is null
   */
  public LatencyAssert tpot() {
    return latency(actual.tpot(), RequestRecord::tpot, "slowest requests", false);
  }

  /**
   * Inter-token latency: every gap between consecutive streamed events, pooled over successful
   * requests. A failure lists the requests with the largest single gap.
   *
   * @throws AssertionError if the result is null
   */
  public LatencyAssert itl() {
    return latency(actual.itl(), BenchmarkResultAssert::largestGap, "largest gaps", false);
  }

  /**
   * End-to-end latency of successful requests: from just before sending to the last streamed event.
   *
   * @throws AssertionError if the result is null
   */
  public LatencyAssert e2eLatency() {
    return latency(actual.e2eLatency(), RequestRecord::e2eLatency, "slowest requests", false);
  }

  /**
   * The engine's queue time per successful request, arrival to first scheduling (llmemu servers
   * only: empty against others).
   *
   * @throws AssertionError if the result is null
   */
  public LatencyAssert serverQueueTime() {
    return latency(
        actual.serverQueueTime(),
        r -> r.server() == null ? null : r.server().queueTime(),
        "longest queued",
        false);
  }

  private static @Nullable Duration largestGap(RequestRecord r) {
    if (!r.success() || r.interTokenLatencyCount() == 0) {
      return null;
    }
    long max = 0;
    for (long gap : r.interTokenLatenciesNanos()) {
      max = Math.max(max, gap);
    }
    return Duration.ofNanos(max);
  }

  private LatencyAssert latency(
      LatencyDistribution d,
      Function<RequestRecord, @Nullable Duration> metric,
      String worst,
      boolean ttftBreakdown) {
    isNotNull();
    LatencyAssert a =
        softly == null
            ? new LatencyAssert(d)
            : softly.proxy(LatencyAssert.class, LatencyDistribution.class, d);
    return a.context(actual.description(), actual.requests(), metric, worst, ttftBreakdown, softly);
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

  /**
   * The failed requests, as a list to assert on with AssertJ's list assertions.
   *
   * <pre>{@code
   * assertThat(result).errors().isEmpty();
   * assertThat(result).errors().extracting(r -> r.error().kind()).containsOnly(Kind.HTTP_STATUS);
   * }</pre>
   *
   * @throws AssertionError if the result is null
   */
  @SuppressWarnings("unchecked") // proxy(ListAssert.class, ...) is raw, as AssertJ's own is
  public ListAssert<RequestRecord> errors() {
    isNotNull();
    List<RequestRecord> errors = actual.errors();
    ListAssert<RequestRecord> a =
        softly == null
            ? new ListAssert<>(errors)
            : softly.proxy(ListAssert.class, List.class, errors);
    return a.as("failed requests of %s", actual.description());
  }

  /**
   * Failed requests as a share of all requests sent, 0..1.
   *
   * <pre>{@code
   * assertThat(result).errorRate().isLessThanOrEqualTo(0.01);
   * }</pre>
   *
   * @throws AssertionError if the result is null
   */
  public AbstractDoubleAssert<?> errorRate() {
    return number(actual.errorRate(), "error rate");
  }

  /**
   * Fails if any request failed, listing the failures by kind and the first five.
   *
   * @throws AssertionError if a request failed
   */
  public BenchmarkResultAssert hasNoErrors() {
    isNotNull();
    if (actual.failed() > 0) {
      failWithMessage(
          "%nExpecting no failed requests in:%n  %s%nbut %s",
          actual.description(), describeErrors(actual));
    }
    return myself;
  }

  /**
   * Fails unless exactly {@code count} requests completed.
   *
   * @throws AssertionError if another number completed
   */
  public BenchmarkResultAssert hasCompleted(int count) {
    isNotNull();
    if (actual.completed() != count) {
      failWithMessage(
          "%nExpecting %d completed requests in:%n  %s%nbut %d completed%s",
          count,
          actual.description(),
          actual.completed(),
          actual.failed() > 0 ? " and " + describeErrors(actual) : "");
    }
    return myself;
  }

  /**
   * Fails unless exactly {@code count} requests failed with {@code kind}.
   *
   * @throws AssertionError if another number failed so
   */
  public BenchmarkResultAssert hasErrors(RequestError.Kind kind, int count) {
    isNotNull();
    int n = actual.errorCounts().getOrDefault(kind, 0);
    if (n != count) {
      failWithMessage(
          "%nExpecting %d requests failed with %s in:%n  %s%nbut %s",
          count,
          kind,
          actual.description(),
          actual.failed() == 0 ? "none failed" : describeErrors(actual));
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

  /** "2 of 40 failed {HTTP_STATUS=1, TIMEOUT=1}:" and the first five failures, one a line. */
  static String describeErrors(BenchmarkResult result) {
    List<RequestRecord> errors = result.errors();
    StringBuilder d = new StringBuilder();
    d.append(errors.size())
        .append(" of ")
        .append(result.requests().size())
        .append(" failed ")
        .append(result.errorCounts())
        .append(':');
    errors.stream().limit(5).forEach(r -> d.append("\n  ").append(r));
    if (errors.size() > 5) {
      d.append("\n  … and ").append(errors.size() - 5).append(" more");
    }
    return d.toString();
  }
}
