package dev.llmemu.junit.load;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * An immutable sample of latencies, with the statistics {@code vllm bench serve} reports: mean,
 * median, population standard deviation and linearly interpolated percentiles (numpy's default). An
 * empty distribution reports zero for everything, as {@code vllm bench} does.
 */
public final class LatencyDistribution {
  private final String name;
  private final long[] sortedNanos;

  LatencyDistribution(String name, long[] nanos) {
    this.name = name;
    this.sortedNanos = nanos.clone();
    Arrays.sort(sortedNanos);
  }

  /** A distribution over the given values, for tests and custom reports. */
  public static LatencyDistribution of(String name, Duration... values) {
    return new LatencyDistribution(
        name, Arrays.stream(values).mapToLong(Duration::toNanos).toArray());
  }

  /** What is measured, e.g. "TTFT". */
  public String name() {
    return name;
  }

  public int count() {
    return sortedNanos.length;
  }

  public boolean isEmpty() {
    return sortedNanos.length == 0;
  }

  public Duration mean() {
    if (isEmpty()) {
      return Duration.ZERO;
    }
    double sum = 0;
    for (long v : sortedNanos) {
      sum += v;
    }
    return Duration.ofNanos(Math.round(sum / sortedNanos.length));
  }

  /** Population standard deviation ({@code np.std}). */
  public Duration standardDeviation() {
    if (isEmpty()) {
      return Duration.ZERO;
    }
    double mean = mean().toNanos();
    double sq = 0;
    for (long v : sortedNanos) {
      sq += (v - mean) * (v - mean);
    }
    return Duration.ofNanos(Math.round(Math.sqrt(sq / sortedNanos.length)));
  }

  public Duration median() {
    return percentile(50);
  }

  public Duration p50() {
    return percentile(50);
  }

  public Duration p90() {
    return percentile(90);
  }

  public Duration p95() {
    return percentile(95);
  }

  public Duration p99() {
    return percentile(99);
  }

  public Duration min() {
    return isEmpty() ? Duration.ZERO : Duration.ofNanos(sortedNanos[0]);
  }

  public Duration max() {
    return isEmpty() ? Duration.ZERO : Duration.ofNanos(sortedNanos[sortedNanos.length - 1]);
  }

  /**
   * The {@code p}-th percentile with linear interpolation between closest ranks ({@code
   * np.percentile}).
   *
   * @throws IllegalArgumentException unless 0 ≤ p ≤ 100
   */
  public Duration percentile(double p) {
    if (!(p >= 0 && p <= 100)) {
      throw new IllegalArgumentException("percentile must be within [0, 100], got " + p);
    }
    if (isEmpty()) {
      return Duration.ZERO;
    }
    double rank = p / 100 * (sortedNanos.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = (int) Math.ceil(rank);
    double value = sortedNanos[lo] + (sortedNanos[hi] - sortedNanos[lo]) * (rank - lo);
    return Duration.ofNanos(Math.round(value));
  }

  /** Fraction of values at or below {@code limit}. */
  public double fractionAtOrBelow(Duration limit) {
    if (isEmpty()) {
      return 0;
    }
    long l = limit.toNanos();
    int n = 0;
    for (long v : sortedNanos) {
      if (v <= l) {
        n++;
      }
    }
    return (double) n / sortedNanos.length;
  }

  /** The values in ascending order, in nanoseconds. */
  public long[] sortedNanos() {
    return sortedNanos.clone();
  }

  /** One line: count, mean and the usual percentiles, in milliseconds. */
  public String summary() {
    return String.format(
        Locale.ROOT,
        "%s over %,d samples: mean %s, p50 %s, p90 %s, p99 %s, max %s",
        name,
        count(),
        ms(mean()),
        ms(p50()),
        ms(p90()),
        ms(p99()),
        ms(max()));
  }

  static String ms(Duration d) {
    return String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
  }

  @Override
  public String toString() {
    return summary();
  }
}
