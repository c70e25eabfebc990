package dev.llmemu.profiles.builder;

import dev.llmemu.engine.internal.profile.Grid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeSet;

/**
 * vLLM's own kernels timed per GPU by ai-dynamo/aiconfigurator ({@code
 * aiconfigurator/<gpu>/vllm-0.14.0/*.csv}, latency in ms): bf16 GEMMs on an (m, n, k) grid,
 * FlashAttention prefill (context) and decode (generation) attention, and vLLM's custom all-reduce.
 * All times returned in microseconds.
 */
public final class Aiconfigurator {
  private final String device;
  private final double[] gm;
  private final double[] gn;
  private final double[] gk;
  private final double[][][] gemm;
  private final int gemmOutliers;
  private final Map<Long, double[]> contextByHeads = new HashMap<>();
  private final double[] contextIsl;
  private final Map<Long, double[][]> generationByHeads = new HashMap<>();
  private final double[] genBatch;
  private final double[] genKv;
  private final Map<Long, double[]> allReduce = new HashMap<>();
  private final Map<Integer, double[]> allReduceSizes = new HashMap<>();

  private Aiconfigurator(Path dir) {
    Csv g = Csv.read(file(dir, "gemm_perf.csv"));
    TreeSet<Double> ms = new TreeSet<>();
    TreeSet<Double> ns = new TreeSet<>();
    TreeSet<Double> ks = new TreeSet<>();
    String dev = "";
    for (int i = 0; i < g.size(); i++) {
      if (g.get(i, "gemm_dtype").equals("bfloat16")) {
        ms.add(g.num(i, "m"));
        ns.add(g.num(i, "n"));
        ks.add(g.num(i, "k"));
        dev = g.get(i, "device");
      }
    }
    device = dev;
    gm = Interp.toDoubles(ms);
    gn = Interp.toDoubles(ns);
    gk = Interp.toDoubles(ks);
    gemm = new double[gm.length][gn.length][gk.length];
    for (double[][] a : gemm) {
      for (double[] b : a) {
        java.util.Arrays.fill(b, Double.NaN);
      }
    }
    for (int i = 0; i < g.size(); i++) {
      if (g.get(i, "gemm_dtype").equals("bfloat16")) {
        gemm[Interp.indexOf(gm, g.num(i, "m"))][Interp.indexOf(gn, g.num(i, "n"))][
                Interp.indexOf(gk, g.num(i, "k"))] =
            g.num(i, "latency") * 1000;
      }
    }
    // The grid misses a few (n, k) corners (e.g. 65536 x 65536): fill them from the neighbour in k,
    // scaled by k (GEMM time is linear in k once the GPU is busy).
    for (int a = 0; a < gm.length; a++) {
      for (int b = 0; b < gn.length; b++) {
        for (int c = 0; c < gk.length; c++) {
          if (Double.isNaN(gemm[a][b][c])) {
            gemm[a][b][c] =
                c > 0
                    ? gemm[a][b][c - 1] * gk[c] / gk[c - 1]
                    : gemm[a][b - 1][c] * gn[b] / gn[b - 1];
          }
        }
      }
    }

    gemmOutliers = removeSlowOutliers();

    Csv ctx = Csv.read(file(dir, "context_attention_perf.csv"));
    TreeSet<Double> isl = new TreeSet<>();
    for (int i = 0; i < ctx.size(); i++) {
      isl.add(ctx.num(i, "isl"));
    }
    contextIsl = Interp.toDoubles(isl);
    for (int i = 0; i < ctx.size(); i++) {
      if (!ctx.get(i, "kv_cache_dtype").equals("bfloat16") || ctx.num(i, "batch_size") != 1) {
        continue;
      }
      long key = heads((int) ctx.num(i, "num_heads"), (int) ctx.num(i, "num_key_value_heads"));
      double[] row = contextByHeads.computeIfAbsent(key, k -> nanArray(contextIsl.length));
      row[Interp.indexOf(contextIsl, ctx.num(i, "isl"))] = ctx.num(i, "latency") * 1000;
    }
    contextByHeads.values().forEach(this::fillForward);

    Csv gen = Csv.read(file(dir, "generation_attention_perf.csv"));
    TreeSet<Double> gb = new TreeSet<>();
    TreeSet<Double> gs = new TreeSet<>();
    for (int i = 0; i < gen.size(); i++) {
      gb.add(gen.num(i, "batch_size"));
      gs.add(gen.num(i, "step"));
    }
    genBatch = Interp.toDoubles(gb);
    genKv = Interp.toDoubles(gs);
    for (int i = 0; i < gen.size(); i++) {
      if (!gen.get(i, "kv_cache_dtype").equals("bfloat16")) {
        continue;
      }
      long key = heads((int) gen.num(i, "num_heads"), (int) gen.num(i, "num_key_value_heads"));
      double[][] m =
          generationByHeads.computeIfAbsent(
              key,
              k -> {
                double[][] x = new double[genBatch.length][];
                for (int r = 0; r < x.length; r++) {
                  x[r] = nanArray(genKv.length);
                }
                return x;
              });
      m[Interp.indexOf(genBatch, gen.num(i, "batch_size"))][
              Interp.indexOf(genKv, gen.num(i, "step"))] =
          gen.num(i, "latency") * 1000;
    }
    generationByHeads.values().forEach(this::completeGeneration);

    Csv ar = Csv.read(file(dir, "custom_allreduce_perf.csv"));
    Map<Long, TreeSet<Double>> sizes = new HashMap<>();
    Map<Long, Map<Double, Double>> values = new HashMap<>();
    for (int i = 0; i < ar.size(); i++) {
      int gpus = (int) ar.num(i, "num_gpus");
      boolean graph = ar.get(i, "backend").contains("graph");
      long key = gpus * 2L + (graph ? 1 : 0);
      sizes.computeIfAbsent(key, k -> new TreeSet<>()).add(ar.num(i, "message_size"));
      values
          .computeIfAbsent(key, k -> new HashMap<>())
          .put(ar.num(i, "message_size"), ar.num(i, "latency") * 1000);
    }
    for (Map.Entry<Long, TreeSet<Double>> e : sizes.entrySet()) {
      double[] s = Interp.toDoubles(e.getValue());
      double[] v = new double[s.length];
      for (int i = 0; i < s.length; i++) {
        v[i] = values.get(e.getKey()).get(s[i]);
      }
      allReduce.put(e.getKey(), v);
      allReduceSizes.put(e.getKey().intValue(), s);
    }
  }

  private static Path file(Path dir, String name) {
    Path p = dir.resolve(name);
    if (!Files.exists(p)) {
      Path gz = dir.resolve(name + ".gz");
      if (Files.exists(gz)) {
        return gz;
      }
    }
    return p;
  }

  /**
   * Loads the tables of one GPU and vLLM version, e.g. {@code
   * <data>/aiconfigurator/h100_sxm/vllm-0.14.0}.
   */
  public static Aiconfigurator load(Path dir) {
    return new Aiconfigurator(dir);
  }

  /**
   * The GEMM grid has a few measurements several times slower than both neighbours (e.g. on H100
   * m=2048, n=12288, k=8192 takes 2149 µs while m=4096 takes 956 µs): a measurement that is more
   * than 1.6 times what its neighbours along any axis imply (log-log interpolation between them, or
   * linear growth from the previous point at the end of the axis) is replaced by that value.
   * Returns how many were replaced.
   */
  private int removeSlowOutliers() {
    int replaced = 0;
    for (int pass = 0; pass < 2; pass++) {
      for (int axis = 0; axis < 3; axis++) {
        double[] grid = axis == 0 ? gm : axis == 1 ? gn : gk;
        int n1 = axis == 0 ? gn.length : gm.length;
        int n2 = axis == 2 ? gn.length : gk.length;
        for (int x = 0; x < n1; x++) {
          for (int y = 0; y < n2; y++) {
            for (int i = 1; i < grid.length; i++) {
              double prev = cell(axis, i - 1, x, y);
              double here = cell(axis, i, x, y);
              double expected;
              if (i + 1 < grid.length) {
                double next = cell(axis, i + 1, x, y);
                double t = Math.log(grid[i] / grid[i - 1]) / Math.log(grid[i + 1] / grid[i - 1]);
                expected = Math.exp(Math.log(prev) + t * (Math.log(next) - Math.log(prev)));
              } else {
                expected = prev * grid[i] / grid[i - 1];
              }
              if (here > 1.6 * expected && here > 1.6 * prev) {
                setCell(axis, i, x, y, expected);
                replaced++;
              }
            }
          }
        }
      }
    }
    return replaced;
  }

  private double cell(int axis, int i, int x, int y) {
    return axis == 0 ? gemm[i][x][y] : axis == 1 ? gemm[x][i][y] : gemm[x][y][i];
  }

  private void setCell(int axis, int i, int x, int y, double v) {
    if (axis == 0) {
      gemm[i][x][y] = v;
    } else if (axis == 1) {
      gemm[x][i][y] = v;
    } else {
      gemm[x][y][i] = v;
    }
  }

  /** How many slow GEMM outliers were replaced at load (see the class documentation). */
  public int gemmOutliersReplaced() {
    return gemmOutliers;
  }

  /** The GPU name as the tables record it. */
  public String device() {
    return device;
  }

  private static long heads(int h, int kv) {
    return h * 100_000L + kv;
  }

  private static double[] nanArray(int n) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, Double.NaN);
    return a;
  }

  /**
   * Cleans a prefill row: a missing input length takes its predecessor's time; a measurement slower
   * than the next longer input (e.g. the 3072-token MHA row on H100, slower than 4096) is an
   * outlier and is replaced by the log-log interpolation of its neighbours.
   */
  private void fillForward(double[] row) {
    for (int i = 1; i < row.length; i++) {
      if (Double.isNaN(row[i]) && !Double.isNaN(row[i - 1])) {
        row[i] = row[i - 1];
      }
    }
    for (int i = 1; i < row.length - 1; i++) {
      if (row[i] > row[i + 1]) {
        double x0 = Math.log(contextIsl[i - 1]);
        double x1 = Math.log(contextIsl[i + 1]);
        double t = (Math.log(contextIsl[i]) - x0) / (x1 - x0);
        row[i] = Math.exp(Math.log(row[i - 1]) + t * (Math.log(row[i + 1]) - Math.log(row[i - 1])));
      }
    }
  }

  /**
   * aiconfigurator skips decode cells that would not fit in memory; complete them by linear
   * extrapolation in the KV length (decode attention streams the KV cache: time is affine in its
   * length), or else in the batch size.
   */
  private void completeGeneration(double[][] m) {
    for (double[] row : m) {
      int last = -1;
      int prev = -1;
      for (int j = 0; j < row.length; j++) {
        if (!Double.isNaN(row[j])) {
          prev = last;
          last = j;
        }
      }
      for (int j = 0; j < row.length; j++) {
        if (Double.isNaN(row[j]) && last >= 0 && j > last) {
          if (prev >= 0) {
            double slope = (row[last] - row[prev]) / (genKv[last] - genKv[prev]);
            row[j] = row[last] + slope * (genKv[j] - genKv[last]);
          } else {
            row[j] = row[last] * genKv[j] / genKv[last];
          }
        }
      }
    }
    for (int i = 1; i < m.length; i++) {
      for (int j = 0; j < genKv.length; j++) {
        if (Double.isNaN(m[i][j])) {
          m[i][j] = m[i - 1][j] * genBatch[i] / genBatch[i - 1];
        }
      }
    }
  }

  /** The measured bf16 GEMM time of an exact grid row, if the grid has it (for checks). */
  public OptionalDouble gemmRowMicros(int m, int n, int k) {
    int a = Interp.indexOf(gm, m);
    int b = Interp.indexOf(gn, n);
    int c = Interp.indexOf(gk, k);
    return a < 0 || b < 0 || c < 0 ? OptionalDouble.empty() : OptionalDouble.of(gemm[a][b][c]);
  }

  /**
   * A bf16 GEMM of {@code m} tokens by an {@code n x k} weight (n outputs, k inputs): trilinear
   * interpolation on the measured grid, linear extrapolation beyond it.
   */
  public double gemmMicros(double m, double n, double k) {
    int a = Grid.segment(gm, m);
    double ta = Interp.fraction(gm, a, m);
    int b = Grid.segment(gn, n);
    double tb = Interp.fraction(gn, b, n);
    int c = Grid.segment(gk, k);
    double tc = Interp.fraction(gk, c, k);
    double v = 0;
    for (int da = 0; da < 2; da++) {
      double wa = da == 0 ? 1 - ta : ta;
      for (int db = 0; db < 2; db++) {
        double wb = db == 0 ? 1 - tb : tb;
        for (int dc = 0; dc < 2; dc++) {
          double wc = dc == 0 ? 1 - tc : tc;
          v += wa * wb * wc * gemm[a + da][b + db][c + dc];
        }
      }
    }
    return Math.max(v, 0.5 * gemm[0][0][0]);
  }

  /** Resolves per-GPU (heads, kv heads) to a measured pair and the factor that maps onto it. */
  private long[] resolve(Map<Long, ?> table, int heads, int kvHeads, String what) {
    if (table.containsKey(heads(heads, kvHeads))) {
      return new long[] {heads(heads, kvHeads), 1};
    }
    // Attention heads are independent: kv groups of (g query heads per kv head) x K behave like
    // (g x k0, k0) run K/k0 times (decode: K/k0 times the batch).
    int group = heads / kvHeads;
    for (int k0 : new int[] {8, 4, 2, 1}) {
      if (kvHeads % k0 == 0 && table.containsKey(heads(group * k0, k0))) {
        return new long[] {heads(group * k0, k0), kvHeads / k0};
      }
    }
    throw new IllegalArgumentException(
        "no "
            + what
            + " timings for "
            + heads
            + " query / "
            + kvHeads
            + " KV heads per GPU on "
            + device);
  }

  /** Prefill (context) attention of one sequence of {@code isl} tokens, no cached prefix. */
  public double contextAttentionMicros(int heads, int kvHeads, double isl) {
    long[] r = resolve(contextByHeads, heads, kvHeads, "context attention");
    double[] row = contextByHeads.get(r[0]);
    double x = Math.max(1, isl);
    double last = contextIsl[contextIsl.length - 1];
    double t;
    if (x > last) {
      t = row[row.length - 1] * (x / last) * (x / last);
    } else {
      t = Interp.linear(contextIsl, row, x);
    }
    return t * r[1];
  }

  /** True if decode attention was timed for exactly this per-GPU head layout. */
  public boolean hasGeneration(int heads, int kvHeads) {
    return generationByHeads.containsKey(heads(heads, kvHeads));
  }

  /**
   * Decode (generation) attention of {@code batch} sequences each attending to {@code kv} tokens.
   */
  public double generationAttentionMicros(int heads, int kvHeads, double batch, double kv) {
    long[] r = resolve(generationByHeads, heads, kvHeads, "decode attention");
    double[][] m = generationByHeads.get(r[0]);
    double b = Math.max(1, batch * r[1]);
    double s = Math.max(1, kv);
    int i = Grid.segment(genBatch, b);
    double ti = Interp.fraction(genBatch, i, b);
    double lo = Interp.linear(genKv, m[i], s);
    double hi = Interp.linear(genKv, m[i + 1], s);
    return Math.max(lo + ti * (hi - lo), m[0][0]);
  }

  /** vLLM's custom all-reduce of {@code bytes} across {@code gpus} GPUs (graph or eager kernel). */
  public double allReduceMicros(int gpus, double bytes, boolean cudaGraph) {
    int key = gpus * 2 + (cudaGraph ? 1 : 0);
    double[] sizes = allReduceSizes.get(key);
    if (sizes == null) {
      throw new IllegalArgumentException(
          "no all-reduce timings for " + gpus + " GPUs on " + device);
    }
    return Math.max(0, Interp.linear(sizes, allReduce.get((long) key), bytes));
  }
}
