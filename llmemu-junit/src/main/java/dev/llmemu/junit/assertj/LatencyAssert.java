package dev.llmemu.junit.assertj;

import dev.llmemu.junit.load.LatencyDistribution;
import dev.llmemu.junit.load.RequestRecord;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.assertj.core.api.AbstractAssert;
import org.assertj.core.api.AbstractDurationAssert;
import org.assertj.core.api.DurationAssert;
import org.assertj.core.api.SoftAssertionsProvider;
import org.jspecify.annotations.Nullable;

/**
 * Assertions on one latency distribution of a load run (TTFT, TPOT, ITL or E2E). Pick a statistic
 * and assert on it with AssertJ's duration assertions:
 *
 * <pre>{@code
 * assertThat(result).ttft().p99().isLessThan(Duration.ofMillis(300));   // passes if p99 < 300 ms
 * assertThat(result).tpot().mean().isLessThan(Duration.ofMillis(5));    // fails on a slow GPU
 * }</pre>
 *
 * A failure shows the whole distribution and the slowest requests, with the server's view of them
 * (queue time, prefill, preemptions) when the server is llmemu.
 *
 * @since 0.1.0
 */
public class LatencyAssert extends AbstractAssert<LatencyAssert, LatencyDistribution> {
  private List<RequestRecord> requests = List.of();
  private Function<RequestRecord, @Nullable Duration> metric = r -> null;
  @Nullable SoftAssertionsProvider softly;

  public LatencyAssert(LatencyDistribution actual) {
    super(actual, LatencyAssert.class);
  }

  LatencyAssert context(
      List<RequestRecord> requests,
      Function<RequestRecord, @Nullable Duration> metric,
      @Nullable SoftAssertionsProvider softly) {
    this.requests = requests;
    this.metric = metric;
    this.softly = softly;
    return this;
  }

  /** The median. */
  public AbstractDurationAssert<?> p50() {
    return statistic("p50", actual.p50());
  }

  public AbstractDurationAssert<?> median() {
    return statistic("median", actual.median());
  }

  public AbstractDurationAssert<?> p90() {
    return statistic("p90", actual.p90());
  }

  public AbstractDurationAssert<?> p95() {
    return statistic("p95", actual.p95());
  }

  public AbstractDurationAssert<?> p99() {
    return statistic("p99", actual.p99());
  }

  public AbstractDurationAssert<?> mean() {
    return statistic("mean", actual.mean());
  }

  public AbstractDurationAssert<?> max() {
    return statistic("max", actual.max());
  }

  /**
   * The {@code p}-th percentile, linearly interpolated.
   *
   * @throws IllegalArgumentException unless 0 ≤ p ≤ 100
   */
  public AbstractDurationAssert<?> percentile(double p) {
    return statistic(String.format(Locale.ROOT, "p%s", trim(p)), actual.percentile(p));
  }

  /** Asserts that the distribution has at least {@code count} samples. */
  public LatencyAssert hasAtLeastSamples(int count) {
    isNotNull();
    if (actual.count() < count) {
      failWithMessage(
          "Expecting %s to have at least %d samples but it has %d",
          actual.name(), count, actual.count());
    }
    return myself;
  }

  private AbstractDurationAssert<?> statistic(String which, Duration value) {
    isNotNull();
    if (actual.isEmpty()) {
      failWithMessage(
          "Expecting %s %s but there are no samples: no request succeeded with this measurement",
          actual.name(), which);
    }
    AbstractDurationAssert<?> a =
        softly == null
            ? new DurationAssert(value)
            : softly.proxy(DurationAssert.class, Duration.class, value);
    return a.withRepresentation(MillisRepresentation.INSTANCE).as(describe(which));
  }

  private String describe(String which) {
    StringBuilder d = new StringBuilder();
    d.append(actual.name())
        .append(' ')
        .append(which)
        .append(" of ")
        .append(actual.count())
        .append(" samples");
    d.append("\n  distribution: ").append(actual.summary());
    List<RequestRecord> slowest =
        requests.stream()
            .filter(r -> metric.apply(r) != null)
            .sorted((a, b) -> metric.apply(b).compareTo(metric.apply(a)))
            .limit(5)
            .toList();
    if (!slowest.isEmpty()) {
      d.append("\n  slowest requests:");
      for (RequestRecord r : slowest) {
        d.append("\n    #").append(r.index()).append(' ').append(r.requestId()).append(": ");
        d.append(MillisRepresentation.millis(metric.apply(r)));
        if (r.server() != null) {
          d.append(
              String.format(
                  Locale.ROOT,
                  " (server: queued %s, prefill %s, decode %s, %d preemptions, %d cached prompt tokens)",
                  MillisRepresentation.millis(r.server().queueTime()),
                  MillisRepresentation.millis(r.server().prefillTime()),
                  MillisRepresentation.millis(r.server().decodeTime()),
                  r.server().preemptions(),
                  r.server().cachedTokens()));
        }
      }
    }
    return d.toString();
  }

  private static String trim(double p) {
    return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
  }
}
