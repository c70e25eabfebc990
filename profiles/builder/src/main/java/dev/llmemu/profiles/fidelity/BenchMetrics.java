package dev.llmemu.profiles.fidelity;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmemu.engine.FinishReason;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.SimulationResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vllm bench serve}'s metrics (docs/vllm-behaviour.md §5), with its result-file key names:
 * TTFT, TPOT = (E2EL − TTFT) / (output tokens − 1) over requests with more than one token, ITL
 * pooled over every gap, E2EL; throughput over the benchmark duration. Times in ms.
 */
public final class BenchMetrics {
  private final Map<String, Double> values = new LinkedHashMap<>();

  private BenchMetrics() {}

  public Map<String, Double> values() {
    return values;
  }

  public double get(String key) {
    Double v = values.get(key);
    return v == null ? Double.NaN : v;
  }

  /** Measures a simulation the way {@code vllm bench serve} measures a server. */
  public static BenchMetrics of(SimulationResult result) {
    List<Double> ttft = new ArrayList<>();
    List<Double> tpot = new ArrayList<>();
    List<Double> itl = new ArrayList<>();
    List<Double> e2el = new ArrayList<>();
    long outputTokens = 0;
    long inputTokens = 0;
    int completed = 0;
    for (RequestResult r : result.requests()) {
      if (r.finishReason() == FinishReason.ABORT || r.firstTokenNanos() < 0) {
        continue;
      }
      completed++;
      long[] t = r.tokenTimesNanos();
      double first = (t[0] - r.arrivalNanos()) / 1e6;
      double last = (t[t.length - 1] - r.arrivalNanos()) / 1e6;
      ttft.add(first);
      e2el.add(last);
      if (r.outputTokens() > 1) {
        tpot.add((last - first) / (r.outputTokens() - 1));
      }
      for (int i = 1; i < t.length; i++) {
        itl.add((t[i] - t[i - 1]) / 1e6);
      }
      outputTokens += r.outputTokens();
      inputTokens += r.promptTokens();
    }
    BenchMetrics m = new BenchMetrics();
    double seconds = result.duration().toNanos() / 1e9;
    m.values.put("completed", (double) completed);
    m.values.put("duration", seconds);
    m.values.put("request_throughput", completed / seconds);
    m.values.put("output_throughput", outputTokens / seconds);
    m.values.put("total_token_throughput", (outputTokens + inputTokens) / seconds);
    put(m, "ttft", ttft);
    put(m, "tpot", tpot);
    put(m, "itl", itl);
    put(m, "e2el", e2el);
    return m;
  }

  private static void put(BenchMetrics m, String name, List<Double> v) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
    m.values.put("mean_" + name + "_ms", Stats.mean(a));
    m.values.put("median_" + name + "_ms", Stats.percentile(a, 50));
    m.values.put("p90_" + name + "_ms", Stats.percentile(a, 90));
    m.values.put("p99_" + name + "_ms", Stats.percentile(a, 99));
  }

  /** The same keys read from a {@code vllm bench serve --save-result} JSON file. */
  public static BenchMetrics fromResultFile(JsonNode json) {
    BenchMetrics m = new BenchMetrics();
    for (String key :
        List.of(
            "completed",
            "duration",
            "request_throughput",
            "output_throughput",
            "total_token_throughput",
            "mean_ttft_ms",
            "median_ttft_ms",
            "p90_ttft_ms",
            "p99_ttft_ms",
            "mean_tpot_ms",
            "median_tpot_ms",
            "p90_tpot_ms",
            "p99_tpot_ms",
            "mean_itl_ms",
            "median_itl_ms",
            "p90_itl_ms",
            "p99_itl_ms",
            "mean_e2el_ms",
            "median_e2el_ms",
            "p90_e2el_ms",
            "p99_e2el_ms")) {
      if (json.has(key) && json.get(key).isNumber()) {
        m.values.put(key, json.get(key).asDouble());
      }
    }
    return m;
  }
}
