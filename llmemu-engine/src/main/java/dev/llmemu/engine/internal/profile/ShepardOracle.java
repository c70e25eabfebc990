package dev.llmemu.engine.internal.profile;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * LLM-Emu's empirical oracle (adaptive-K Shepard pooling, docs/llm-emu-method.md §4), generalised
 * from LLM-Emu's two dimensions (tokens, requests) to any number of dimensions.
 *
 * <p>For a query point: normalise every dimension by the range of the table's keys in it (1 if
 * zero); sort buckets by Euclidean distance (ties in table order); walk them, skipping empty ones,
 * until the chosen buckets hold at least {@code minSamples} samples. If the nearest chosen bucket
 * is an exact match (distance 0) or only one bucket was chosen, draw a sample uniformly from it;
 * otherwise choose a bucket with weight 1/d² and draw one raw sample from it. Queries outside the
 * data snap to the nearest buckets: there is no extrapolation.
 *
 * <p>The bucket choice for a query point depends only on the table, so it is computed once per
 * distinct point and cached; a draw then costs two random numbers. Thread-safe.
 */
public final class ShepardOracle {
  /** LLM-Emu's M: the least number of samples pooled for one query. */
  public static final int DEFAULT_MIN_SAMPLES = 30;

  private static final int CACHE_LIMIT = 1 << 16;

  private final int dims;
  private final double[][] keys;
  private final double[][] samples;
  private final double[] range;
  private final int minSamples;
  private final long totalSamples;
  private final Map<Point, Selection> cache = new ConcurrentHashMap<>();

  /** One bucket: its key (one value per dimension) and its raw samples. */
  public record Bucket(double[] key, double[] samples) {
    public Bucket {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(samples, "samples");
    }
  }

  /** The buckets chosen for one query point, with cumulative 1/d² weights (null: use the first). */
  private record Selection(int[] buckets, double @Nullable [] cumulative) {}

  /** A query point as a cache key. */
  private record Point(double[] values) {
    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Point p && Arrays.equals(values, p.values);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(values);
    }
  }

  public ShepardOracle(List<Bucket> buckets, int minSamples) {
    if (minSamples < 1) {
      throw new IllegalArgumentException("minSamples must be at least 1, got " + minSamples);
    }
    this.minSamples = minSamples;
    this.dims = buckets.isEmpty() ? 0 : buckets.get(0).key().length;
    this.keys = new double[buckets.size()][];
    this.samples = new double[buckets.size()][];
    long total = 0;
    for (int i = 0; i < keys.length; i++) {
      Bucket b = buckets.get(i);
      if (b.key().length != dims) {
        throw new IllegalArgumentException(
            "bucket " + i + " has " + b.key().length + " key values, expected " + dims);
      }
      keys[i] = b.key().clone();
      samples[i] = b.samples().clone();
      total += samples[i].length;
    }
    this.totalSamples = total;
    this.range = new double[dims];
    for (int d = 0; d < dims; d++) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (double[] k : keys) {
        min = Math.min(min, k[d]);
        max = Math.max(max, k[d]);
      }
      double r = max - min;
      range[d] = r > 0 ? r : 1;
    }
  }

  /** Number of dimensions of a query point. */
  public int dimensions() {
    return dims;
  }

  public int numBuckets() {
    return keys.length;
  }

  public long numSamples() {
    return totalSamples;
  }

  /** True if no bucket holds a sample: such a table cannot answer and callers fall back. */
  public boolean isEmpty() {
    return totalSamples == 0;
  }

  /**
   * One latency sample (in the table's unit) for the query point, drawn with {@code random}.
   *
   * @throws IllegalStateException if the table is empty
   */
  public double sample(double[] query, RandomGenerator random) {
    Selection s = select(query);
    int bucket;
    double[] w = s.cumulative();
    if (w == null) {
      bucket = s.buckets()[0];
    } else {
      double u = random.nextDouble() * w[w.length - 1];
      int i = 0;
      while (i < w.length - 1 && u >= w[i]) {
        i++;
      }
      bucket = s.buckets()[i];
    }
    double[] values = samples[bucket];
    return values[random.nextInt(values.length)];
  }

  /**
   * The probability with which each bucket (by table index) is chosen for this query point: 1 for
   * the single bucket drawn from, or the normalised 1/d² weights of the pooled buckets. For tests
   * and diagnostics.
   */
  public double[] bucketProbabilities(double[] query) {
    Selection s = select(query);
    double[] p = new double[keys.length];
    double[] w = s.cumulative();
    if (w == null) {
      p[s.buckets()[0]] = 1;
      return p;
    }
    double total = w[w.length - 1];
    double previous = 0;
    for (int i = 0; i < w.length; i++) {
      p[s.buckets()[i]] = (w[i] - previous) / total;
      previous = w[i];
    }
    return p;
  }

  private Selection select(double[] query) {
    if (query.length != dims) {
      throw new IllegalArgumentException(
          "query has " + query.length + " values, the table has " + dims + " dimensions");
    }
    if (totalSamples == 0) {
      throw new IllegalStateException("the table holds no samples");
    }
    Point point = new Point(query);
    Selection s = cache.get(point);
    if (s == null) {
      s = compute(query);
      if (cache.size() >= CACHE_LIMIT) {
        cache.clear();
      }
      cache.put(new Point(query.clone()), s);
    }
    return s;
  }

  private Selection compute(double[] query) {
    int n = keys.length;
    double[] dist = new double[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int d = 0; d < dims; d++) {
        double z = (keys[i][d] - query[d]) / range[d];
        sum += z * z;
      }
      dist[i] = Math.sqrt(sum);
    }
    // Partial selection sort: repeatedly take the nearest unused non-empty bucket (the first in
    // table order among equals) until the pool holds enough samples.
    boolean[] used = new boolean[n];
    int[] chosen = new int[Math.min(n, Math.max(1, minSamples))];
    int count = 0;
    long pooled = 0;
    while (pooled < minSamples) {
      int best = -1;
      for (int i = 0; i < n; i++) {
        if (!used[i] && samples[i].length > 0 && (best < 0 || dist[i] < dist[best])) {
          best = i;
        }
      }
      if (best < 0) {
        break;
      }
      used[best] = true;
      if (count == chosen.length) {
        chosen = Arrays.copyOf(chosen, count * 2);
      }
      chosen[count++] = best;
      pooled += samples[best].length;
    }
    chosen = Arrays.copyOf(chosen, count);
    if (count == 1 || dist[chosen[0]] == 0) {
      return new Selection(new int[] {chosen[0]}, null);
    }
    double[] cumulative = new double[count];
    double acc = 0;
    for (int i = 0; i < count; i++) {
      double d = dist[chosen[i]];
      acc += 1 / (d * d);
      cumulative[i] = acc;
    }
    return new Selection(chosen, cumulative);
  }
}
