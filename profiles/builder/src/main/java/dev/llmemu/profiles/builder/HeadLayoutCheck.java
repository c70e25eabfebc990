package dev.llmemu.profiles.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks how the builder times decode attention for head layouts aiconfigurator did not measure
 * (multi-head attention with more than 8 KV heads per GPU, e.g. Llama-2-7B's 32/32), using the raw
 * cells of both kernel datasets on the H100 (docs/fidelity.md, "Decode attention of multi-head
 * models"):
 *
 * <ol>
 *   <li><b>Head-count invariance within one harness.</b> The builder times H/H heads at batch B as
 *       8/8 heads at batch H/8 × B: the same (sequence, KV head) work items, the same bytes.
 *       inference-sim measured several H/H layouts (32-32 and 40-40 at TP 1, 2, 4), so its own
 *       ratio t(H/H, B) / t(8/8, H/8·B) tests that assumption without any cross-harness factor;
 *       aiconfigurator's 1/1 … 8/8 and 4/1 … 32/8 layouts test it within vLLM's kernel.
 *   <li><b>Cross-harness ratio.</b> aiconfigurator / inference-sim on the layouts both measured
 *       (same per-GPU heads, batch and KV length), by layout.
 *   <li><b>The harness-corrected estimate.</b> inference-sim's direct 32/32 measurement times the
 *       aiconfigurator/inference-sim ratio measured on the same bytes with the MHA layout both have
 *       (8/8): algebraically the mapped aiconfigurator value times ratio 1. It is printed at the
 *       operating points of the calibration stages, with the direct measurement and with a ratio
 *       taken from the grouped-query layouts instead.
 * </ol>
 *
 * Batch-1 cells are left out of ratios: inference-sim timed each call on the host
 * (torch.utils.benchmark), so a lone decode shows ~20 µs of launch overhead there.
 *
 * <pre>HeadLayoutCheck</pre>
 */
public final class HeadLayoutCheck {
  private static final Pattern NAME = Pattern.compile("(\\d+)-(\\d+)-128-tp(\\d+)\\.csv");

  /**
   * The calibration stages' decode operating points (request-weighted mean decode batch and mean KV
   * length per step, from the replay): codegen 0 and 1, roleplay 0, general 0 and 1.
   */
  static final double[][] OPERATING_POINTS = {
    {9.9, 715}, {23.1, 715}, {13.4, 910}, {17.4, 700}, {79.0, 700}
  };

  private HeadLayoutCheck() {}

  /** Raw bf16 decode cells of one source: layout (heads, KV heads per GPU) → (batch, KV) → µs. */
  record Cells(Map<Long, Map<Long, Double>> byLayout) {
    Double get(int heads, int kvHeads, int batch, int kv) {
      Map<Long, Double> m = byLayout.get(key(heads, kvHeads));
      return m == null ? null : m.get(key(batch, kv));
    }

    void put(int heads, int kvHeads, int batch, int kv, double micros) {
      byLayout
          .computeIfAbsent(key(heads, kvHeads), k -> new HashMap<>())
          .put(key(batch, kv), micros);
    }

    boolean has(int heads, int kvHeads) {
      return byLayout.containsKey(key(heads, kvHeads));
    }
  }

  private static long key(int a, int b) {
    return a * 1_000_000L + b;
  }

  /**
   * aiconfigurator's generation attention; its {@code step} is the sequence length including the
   * new token (2^n − 1), stored here as step + 1 to line up with inference-sim's KV lengths (2^n).
   */
  static Cells aiconfigurator(Path data) {
    Cells c = new Cells(new HashMap<>());
    Path dir = data.resolve("aiconfigurator").resolve(GpuSpec.H100.aiconfigurator());
    Csv gen = Csv.read(dir.resolve("generation_attention_perf.csv"));
    for (int i = 0; i < gen.size(); i++) {
      if (gen.get(i, "kv_cache_dtype").equals("bfloat16") && (int) gen.num(i, "head_dim") == 128) {
        c.put(
            (int) gen.num(i, "num_heads"),
            (int) gen.num(i, "num_key_value_heads"),
            (int) gen.num(i, "batch_size"),
            (int) gen.num(i, "step") + 1,
            gen.num(i, "latency") * 1000);
      }
    }
    return c;
  }

  /** inference-sim's FlashInfer decode benchmark, per-GPU layout (heads / TP, KV heads / TP). */
  static Cells inferenceSim(Path data) {
    Cells c = new Cells(new HashMap<>());
    Path dir =
        data.resolve("inference-sim-benchdata/bench_data/mha/decode").resolve(GpuSpec.H100.vidur());
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.sorted().toList()) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (!m.matches()) {
          continue;
        }
        int tp = Integer.parseInt(m.group(3));
        int heads = Integer.parseInt(m.group(1)) / tp;
        int kv = Math.max(1, Integer.parseInt(m.group(2)) / tp);
        Csv csv = Csv.read(p);
        for (int i = 0; i < csv.size(); i++) {
          if (csv.get(i, "dtype").equals("bf16") && csv.get(i, "kv_dtype").equals("bf16")) {
            c.put(
                heads,
                kv,
                (int) csv.num(i, "batch_size"),
                (int) csv.num(i, "kv_len"),
                csv.num(i, "latency_us"));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return c;
  }

  /** Median, minimum, maximum and count of a list of ratios. */
  record Summary(String label, int n, double median, double min, double max) {
    static Summary of(String label, List<Double> ratios) {
      List<Double> s = new ArrayList<>(ratios);
      s.sort(null);
      if (s.isEmpty()) {
        return new Summary(label, 0, Double.NaN, Double.NaN, Double.NaN);
      }
      int n = s.size();
      double median = n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
      return new Summary(label, n, median, s.get(0), s.get(n - 1));
    }

    String row() {
      return String.format(
          Locale.ROOT, "| %s | %d | %.3f | %.3f – %.3f |", label, n, median, min, max);
    }
  }

  private static final int[] BATCHES = {16, 32, 64, 128, 256, 512, 1024, 2048};
  private static final int[] KVS = {256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072};

  /**
   * t(heads, kvHeads, B) / t(heads/f, kvHeads/f, f·B) over every cell both have (B ≥ 16), for KV
   * lengths in [kvMin, kvMax].
   */
  static Summary scaling(
      Cells c, String source, int heads, int kvHeads, int f, int kvMin, int kvMax) {
    List<Double> r = new ArrayList<>();
    for (int b : BATCHES) {
      for (int kv : KVS) {
        if (kv < kvMin || kv > kvMax) {
          continue;
        }
        Double big = c.get(heads, kvHeads, b, kv);
        Double small = c.get(heads / f, kvHeads / f, f * b, kv);
        if (big != null && small != null) {
          r.add(big / small);
        }
      }
    }
    return Summary.of(
        String.format(
            Locale.ROOT,
            "%s: %d/%d at B ÷ %d/%d at %d·B",
            source,
            heads,
            kvHeads,
            heads / f,
            kvHeads / f,
            f),
        r);
  }

  /** aiconfigurator / inference-sim on one layout both measured (B ≥ 16). */
  static Summary crossHarness(Cells aic, Cells bench, int heads, int kvHeads) {
    return Summary.of(
        String.format(Locale.ROOT, "%d/%d", heads, kvHeads),
        crossRatios(aic, bench, heads, kvHeads, 0, Double.POSITIVE_INFINITY));
  }

  private static List<Double> crossRatios(
      Cells aic, Cells bench, int heads, int kvHeads, double minBytes, double maxBytes) {
    List<Double> r = new ArrayList<>();
    for (int b : BATCHES) {
      for (int kv : KVS) {
        double bytes = bytes(b, kv, kvHeads);
        Double a = aic.get(heads, kvHeads, b, kv);
        Double s = bench.get(heads, kvHeads, b, kv);
        if (a != null && s != null && bytes >= minBytes && bytes <= maxBytes) {
          r.add(a / s);
        }
      }
    }
    return r;
  }

  /** KV bytes one layer's decode attention reads: batch × KV length × KV heads × 128 × 2 × 2. */
  static double bytes(double batch, double kv, int kvHeads) {
    return batch * kv * kvHeads * 128.0 * 2 * 2;
  }

  /** Per-layer decode attention of Llama-2-7B (32/32) at an operating point, four ways (µs). */
  record Estimate(
      double batch,
      double kv,
      double mapped,
      double direct,
      double mhaCorrected,
      double gqaCorrected) {}

  static Estimate estimate(KernelData h100, Cells aic, Cells bench, double batch, double kv) {
    double mapped = h100.decodeAttentionMicros(32, 32, batch, kv);
    double direct = h100.benchDecodeAttentionMicros(32, 32, batch, kv).orElse(Double.NaN);
    double bytes = bytes(batch, kv, 32);
    // The harness ratio measured on the same bytes (within a factor 2 either way): on the MHA
    // layout both measured (8/8), and on the grouped-query layouts both measured.
    List<Double> mha = crossRatios(aic, bench, 8, 8, bytes / 2, bytes * 2);
    List<Double> gqa = new ArrayList<>();
    for (int[] l : new int[][] {{8, 2}, {16, 2}, {16, 4}, {32, 4}, {32, 8}, {64, 8}}) {
      gqa.addAll(crossRatios(aic, bench, l[0], l[1], bytes / 2, bytes * 2));
    }
    return new Estimate(
        batch,
        kv,
        mapped,
        direct,
        direct * Summary.of("", mha).median(),
        direct * Summary.of("", gqa).median());
  }

  public static void main(String[] args) {
    Path data = SharedData.require();
    Cells aic = aiconfigurator(data);
    Cells bench = inferenceSim(data);
    KernelData h100 = KernelData.load(data, GpuSpec.H100);
    System.out.println("Head-count invariance within one harness (ratio 1: the mapping is exact)");
    System.out.println();
    System.out.println("| comparison | cells | median | range |");
    System.out.println("|---|---:|---:|---|");
    for (Summary s :
        List.of(
            scaling(bench, "inference-sim", 32, 32, 4, 0, 1 << 20),
            scaling(bench, "inference-sim", 32, 32, 2, 0, 1 << 20),
            scaling(bench, "inference-sim", 16, 16, 2, 0, 1 << 20),
            scaling(bench, "inference-sim", 40, 40, 4, 0, 1 << 20),
            scaling(bench, "inference-sim", 32, 8, 4, 0, 1 << 20),
            scaling(aic, "aiconfigurator", 8, 8, 2, 256, 4096),
            scaling(aic, "aiconfigurator", 8, 8, 4, 256, 4096),
            scaling(aic, "aiconfigurator", 32, 8, 2, 256, 4096),
            scaling(aic, "aiconfigurator", 32, 8, 4, 256, 4096))) {
      System.out.println(s.row());
    }
    System.out.println();
    System.out.println("aiconfigurator / inference-sim on the layouts both measured (B ≥ 16)");
    System.out.println();
    System.out.println("| per-GPU heads / KV heads | cells | median | range |");
    System.out.println("|---|---:|---:|---|");
    for (int[] l : new int[][] {{8, 8}, {8, 2}, {16, 2}, {16, 4}, {32, 4}, {32, 8}, {64, 8}}) {
      if (aic.has(l[0], l[1]) && bench.has(l[0], l[1])) {
        System.out.println(crossHarness(aic, bench, l[0], l[1]).row());
      }
    }
    System.out.println();
    System.out.println(
        "Llama-2-7B decode attention per layer (µs) at the calibration stages' operating points");
    System.out.println();
    System.out.println(
        "| batch | KV | mapped (aiconfigurator 8/8 at 4B) | inference-sim 32/32 | × 8/8 ratio |"
            + " × GQA ratio |");
    System.out.println("|---:|---:|---:|---:|---:|---:|");
    for (double[] p : OPERATING_POINTS) {
      Estimate e = estimate(h100, aic, bench, p[0], p[1]);
      System.out.printf(
          Locale.ROOT,
          "| %.1f | %.0f | %.1f | %.1f (%+.1f%%) | %.1f (%+.1f%%) | %.1f (%+.1f%%) |%n",
          e.batch(),
          e.kv(),
          e.mapped(),
          e.direct(),
          pct(e.direct(), e.mapped()),
          e.mhaCorrected(),
          pct(e.mhaCorrected(), e.mapped()),
          e.gqaCorrected(),
          pct(e.gqaCorrected(), e.mapped()));
    }
  }

  private static double pct(double x, double ref) {
    return (x / ref - 1) * 100;
  }
}
