package dev.llmemu.junit.assertj;

import dev.llmemu.junit.load.LatencyDistribution;
import dev.llmemu.junit.load.RequestRecord;
import dev.llmemu.junit.load.ServerTiming;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
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
  private String run = "";
  private List<RequestRecord> requests = List.of();
  private Function<RequestRecord, @Nullable Duration> metric = r -> null;
  private String worst = "slowest requests";
  @Nullable SoftAssertionsProvider softly;

  public LatencyAssert(LatencyDistribution actual) {
    super(actual, LatencyAssert.class);
  }

  LatencyAssert context(
      String run,
      List<RequestRecord> requests,
      Function<RequestRecord, @Nullable Duration> metric,
      String worst,
      @Nullable SoftAssertionsProvider softly) {
    this.run = run;
    this.requests = requests;
    this.metric = metric;
    this.worst = worst;
    this.softly = softly;
    return this;
  }

  /**
   * The median, linearly interpolated ({@code np.percentile(v, 50)}).
   *
   * @throws AssertionError if there are no samples
   */
  public AbstractDurationAssert<?> p50() {
    return statistic("p50", actual.p50());
  }

  /**
   * The median, as {@code vllm bench serve}'s {@code median_*_ms}.
   *
   * @throws AssertionError if there are no samples
   */
  public AbstractDurationAssert<?> median() {
    return statistic("median", actual.median());
  }

  /**
   * The 90th percentile, linearly interpolated.
   *
   * @throws AssertionError if there are no samples
   */
  public AbstractDurationAssert<?> p90() {
    return statistic("p90", actual.p90());
  }

  /**
   * The 95th percentile, linearly interpolated.
   *
   * @throws AssertionError if there are no samples
   */
  public AbstractDurationAssert<?> p95() {
    return statistic("p95", actual.p95());
  }

  /**
   * The 99th percentile, linearly interpolated, as {@code vllm bench serve}'s {@code p99_*_ms}.
   *
   * <pre>{@code
   * assertThat(result).ttft().p99().isLessThan(ofMillis(300));
   * }</pre>
   *
   * @throws AssertionError if there are no samples
   */
  public AbstractDurationAssert<?> p99() {
    return statistic("p99", actual.p99());
  }

  /**
   * The mean, as {@code vllm bench serve}'s {@code mean_*_ms}.
   *
   * @throws AssertionError if there are no samples
   */
  public AbstractDurationAssert<?> mean() {
    return statistic("mean", actual.mean());
  }

  /**
   * The largest sample.
   *
   * @throws AssertionError if there are no samples
   */
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
    d.append(actual.name()).append(' ').append(which);
    if (!run.isEmpty()) {
      d.append(" of ").append(run);
    }
    d.append("\n  ").append(actual.summary());
    List<RequestRecord> slowest =
        requests.stream()
            .filter(r -> metric.apply(r) != null)
            .sorted(
                Comparator.comparing((RequestRecord r) -> Objects.requireNonNull(metric.apply(r)))
                    .reversed())
            .limit(5)
            .toList();
    if (!slowest.isEmpty()) {
      d.append("\n  ").append(worst).append(':');
      for (RequestRecord r : slowest) {
        d.append("\n    #").append(r.index()).append(' ').append(r.requestId()).append(": ");
        d.append(MillisRepresentation.millis(Objects.requireNonNull(metric.apply(r))));
        ServerTiming s = r.server();
        if (s != null) {
          d.append(
              String.format(
                  Locale.ROOT,
                  " (server: queued %s, prefill %s, decode %s, %d preemption%s, %d cached prompt"
                      + " tokens)",
                  MillisRepresentation.millis(s.queueTime()),
                  MillisRepresentation.millis(s.prefillTime()),
                  MillisRepresentation.millis(s.decodeTime()),
                  s.preemptions(),
                  s.preemptions() == 1 ? "" : "s",
                  s.cachedTokens()));
        }
      }
    }
    return d.toString();
  }

  private static String trim(double p) {
    return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
  }
}
