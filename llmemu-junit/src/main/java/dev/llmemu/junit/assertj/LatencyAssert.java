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
 * (queue time, prefill, preemptions) when the server is llmemu; for TTFT, a last line says where
 * their time to first token went (queued in the engine, prefill, or outside the engine) and names
 * the largest share.
 *
 * @since 0.1.0
 */
public class LatencyAssert extends AbstractAssert<LatencyAssert, LatencyDistribution> {
  private String run = "";
  private List<RequestRecord> requests = List.of();
  private Function<RequestRecord, @Nullable Duration> metric = r -> null;
  private String worst = "slowest requests";
  private boolean ttftBreakdown;
  @Nullable SoftAssertionsProvider softly;

  public LatencyAssert(LatencyDistribution actual) {
    super(actual, LatencyAssert.class);
  }

  LatencyAssert context(
      String run,
      List<RequestRecord> requests,
      Function<RequestRecord, @Nullable Duration> metric,
      String worst,
      boolean ttftBreakdown,
      @Nullable SoftAssertionsProvider softly) {
    this.run = run;
    this.requests = requests;
    this.metric = metric;
    this.worst = worst;
    this.ttftBreakdown = ttftBreakdown;
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
      if (ttftBreakdown) {
        d.append(whereTheTimeWent(slowest));
      }
    }
    return d.toString();
  }

  /**
   * For TTFT: how the listed requests' time to first token splits between the engine's queue, its
   * prefill, and everything outside the engine (the network, HTTP, a service in front of it), with
   * the largest share named. Empty when none of them has the engine's view.
   */
  private static String whereTheTimeWent(List<RequestRecord> slowest) {
    long ttft = 0;
    long queued = 0;
    long prefill = 0;
    int n = 0;
    for (RequestRecord r : slowest) {
      ServerTiming s = r.server();
      Duration t = r.ttft();
      if (s != null && t != null) {
        ttft += t.toNanos();
        queued += s.queueTime().toNanos();
        prefill += s.prefillTime().toNanos();
        n++;
      }
    }
    if (n == 0 || ttft <= 0) {
      return "";
    }
    // The engine's clock and the client's differ slightly: the shares are of the larger total.
    long outside = Math.max(0, ttft - queued - prefill);
    double total = Math.max(ttft, queued + prefill);
    double q = queued / total;
    double p = prefill / total;
    double o = outside / total;
    String most =
        q >= p && q >= o
            ? "mostly queueing in the engine"
            : p >= o ? "mostly prefill" : "mostly outside the engine";
    return String.format(
        Locale.ROOT,
        "%n  where %s time to first token went: %.0f%% queued in the engine, %.0f%% prefill,"
            + " %.0f%% outside the engine (network, HTTP, services in front of it): %s",
        n == 1 ? "its" : "their",
        q * 100,
        p * 100,
        o * 100,
        most);
  }

  private static String trim(double p) {
    return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
  }
}
