package dev.llmemu.profiles.builder;

import dev.llmemu.engine.internal.profile.Grid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Decode-attention microbenchmarks of inference-sim/inference-sim ({@code
 * inference-sim-benchdata/bench_data/mha/decode/<gpu>/<heads>-<kv heads>-<head dim>-tp<N>.csv},
 * µs): used for head configurations that aiconfigurator did not time, notably multi-head attention
 * (as many KV heads as query heads, e.g. Llama-2-7B), which aiconfigurator's decode table lacks.
 * Where both sources cover a configuration (grouped-query attention) they agree within a few
 * percent.
 */
final class BenchDecodeAttention {
  private static final Pattern NAME = Pattern.compile("(\\d+)-(\\d+)-(\\d+)-tp(\\d+)\\.csv");

  private record Table(double[] batch, double[] kv, double[][] micros) {}

  private final Map<Long, Table> byHeads = new HashMap<>();

  private BenchDecodeAttention(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.sorted().toList()) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (!m.matches() || !m.group(3).equals("128")) {
          continue;
        }
        int tp = Integer.parseInt(m.group(4));
        int heads = Integer.parseInt(m.group(1)) / tp;
        int kv = Math.max(1, Integer.parseInt(m.group(2)) / tp);
        byHeads.put(key(heads, kv), read(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static BenchDecodeAttention load(Path data, GpuSpec gpu) {
    return new BenchDecodeAttention(
        data.resolve("inference-sim-benchdata")
            .resolve("bench_data")
            .resolve("mha")
            .resolve("decode")
            .resolve(gpu.vidur()));
  }

  private static long key(int heads, int kv) {
    return heads * 100_000L + kv;
  }

  private static Table read(Path p) {
    Csv c = Csv.read(p);
    TreeSet<Double> bs = new TreeSet<>();
    TreeSet<Double> ks = new TreeSet<>();
    Map<String, Double> v = new HashMap<>();
    for (int i = 0; i < c.size(); i++) {
      if (!c.get(i, "dtype").equals("bf16") || !c.get(i, "kv_dtype").equals("bf16")) {
        continue;
      }
      double b = c.num(i, "batch_size");
      double k = c.num(i, "kv_len");
      bs.add(b);
      ks.add(k);
      v.put(b + "/" + k, c.num(i, "latency_us"));
    }
    double[] batch = Interp.toDoubles(bs);
    double[] kv = Interp.toDoubles(ks);
    double[][] t = new double[batch.length][kv.length];
    for (int i = 0; i < batch.length; i++) {
      // Cells not measured (large batch x long context) continue the row linearly in the KV length.
      int last = -1;
      int prev = -1;
      for (int j = 0; j < kv.length; j++) {
        Double x = v.get(batch[i] + "/" + kv[j]);
        t[i][j] = x == null ? Double.NaN : x;
        if (x != null) {
          prev = last;
          last = j;
        }
      }
      for (int j = 0; j < kv.length; j++) {
        if (Double.isNaN(t[i][j])) {
          if (j > last && prev >= 0) {
            t[i][j] =
                t[i][last] + (t[i][last] - t[i][prev]) / (kv[last] - kv[prev]) * (kv[j] - kv[last]);
          } else if (i > 0) {
            t[i][j] = t[i - 1][j] * batch[i] / batch[i - 1];
          }
        }
      }
      // Short-context cells of the first runs carry warm-up time (slower than longer contexts):
      // a decode step never gets faster with more KV, so take the running minimum from the right.
      for (int j = kv.length - 2; j >= 0; j--) {
        t[i][j] = Math.min(t[i][j], t[i][j + 1]);
      }
    }
    return new Table(batch, kv, t);
  }

  /** Decode attention per layer of {@code batch} sequences of KV length {@code kv}, if measured. */
  Optional<Double> micros(int heads, int kvHeads, double batch, double kv) {
    Table t = byHeads.get(key(heads, kvHeads));
    if (t == null || t.batch().length < 2) {
      return Optional.empty();
    }
    double b = Math.max(1, batch);
    int i = Grid.segment(t.batch(), b);
    double ti = Interp.fraction(t.batch(), i, b);
    double lo = Interp.linear(t.kv(), t.micros()[i], Math.max(1, kv));
    double hi = Interp.linear(t.kv(), t.micros()[i + 1], Math.max(1, kv));
    return Optional.of(Math.max(lo + ti * (hi - lo), t.micros()[0][0]));
  }

  boolean covers(int heads, int kvHeads) {
    return byHeads.containsKey(key(heads, kvHeads));
  }
}
