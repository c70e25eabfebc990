package dev.llmemu.profiles.fidelity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.SimulationResult;
import dev.llmemu.engine.Simulator;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.profiles.builder.SharedData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@code vllm bench serve}-style run in virtual time on a profile, printing the benchmark's
 * metrics; with {@code --result FILE} (a {@code vllm bench serve --save-result} JSON from a real
 * server) also the signed % error of every metric.
 *
 * <pre>
 * BenchServeCommand --profile NAME|PATH [--dataset sharegpt-like|random|splitwise-conv|splitwise-code]
 *     [--num-prompts 1000] [--request-rate inf|R] [--burstiness 1] [--random-input-len 1024]
 *     [--random-output-len 128] [--random-range-ratio 0] [--ignore-eos] [--seed 0]
 *     [--max-num-seqs N] [--max-num-batched-tokens N] [--result real.json]
 * </pre>
 */
public final class BenchServeCommand {
  private BenchServeCommand() {}

  public static void main(String[] args) throws IOException {
    BenchServeWorkload.Options d = BenchServeWorkload.Options.defaults();
    String profile = "h100-llama-3.1-8b";
    BenchServeWorkload.Dataset dataset = d.dataset();
    int numPrompts = d.numPrompts();
    double rate = d.requestRate();
    double burstiness = d.burstiness();
    int inputLen = d.randomInputLen();
    int outputLen = d.randomOutputLen();
    double rangeRatio = d.randomRangeRatio();
    boolean ignoreEos = false;
    long seed = 0;
    Integer maxSeqs = null;
    Integer maxBatched = null;
    Path result = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--profile" -> profile = args[++i];
        case "--dataset", "--dataset-name" -> dataset = BenchServeWorkload.Dataset.of(args[++i]);
        case "--num-prompts" -> numPrompts = Integer.parseInt(args[++i]);
        case "--request-rate" -> {
          String r = args[++i];
          rate = r.equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(r);
        }
        case "--burstiness" -> burstiness = Double.parseDouble(args[++i]);
        case "--random-input-len" -> inputLen = Integer.parseInt(args[++i]);
        case "--random-output-len" -> outputLen = Integer.parseInt(args[++i]);
        case "--random-range-ratio" -> rangeRatio = Double.parseDouble(args[++i]);
        case "--ignore-eos" -> ignoreEos = true;
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--max-num-seqs" -> maxSeqs = Integer.parseInt(args[++i]);
        case "--max-num-batched-tokens" -> maxBatched = Integer.parseInt(args[++i]);
        case "--result" -> result = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    HardwareProfile p = Profiles.load(profile);
    if (maxSeqs != null || maxBatched != null) {
      var b = p.engineConfig().toBuilder();
      if (maxSeqs != null) {
        b.maxNumSeqs(maxSeqs);
      }
      if (maxBatched != null) {
        b.maxNumBatchedTokens(maxBatched);
      }
      p = p.withEngineConfig(b.build());
    }
    BenchServeWorkload.Options o =
        new BenchServeWorkload.Options(
            dataset,
            numPrompts,
            rate,
            burstiness,
            inputLen,
            outputLen,
            rangeRatio,
            ignoreEos,
            seed);
    Path data =
        dataset == BenchServeWorkload.Dataset.SPLITWISE_CONV
                || dataset == BenchServeWorkload.Dataset.SPLITWISE_CODE
            ? SharedData.require()
            : Path.of(".");
    List<RequestSpec> specs = BenchServeWorkload.build(o, data);
    long t0 = System.nanoTime();
    SimulationResult r = Simulator.builder().profile(p).build().run(specs);
    double wall = (System.nanoTime() - t0) / 1e9;
    BenchMetrics emu = BenchMetrics.of(r);
    System.out.printf(
        Locale.ROOT,
        "profile %s, dataset %s, %d prompts, rate %s, burstiness %s: simulated in %.2f s%n",
        p.name(),
        dataset,
        numPrompts,
        rate,
        burstiness,
        wall);
    BenchMetrics real = null;
    if (result != null) {
      JsonNode json = new ObjectMapper().readTree(result.toFile());
      real = BenchMetrics.fromResultFile(json);
    }
    for (Map.Entry<String, Double> e : emu.values().entrySet()) {
      String line = String.format(Locale.ROOT, "%-24s %12.2f", e.getKey(), e.getValue());
      if (real != null && real.values().containsKey(e.getKey())) {
        double rv = real.get(e.getKey());
        line +=
            String.format(
                Locale.ROOT, "  real %12.2f  %+6.1f%%", rv, Stats.errorPct(e.getValue(), rv));
      }
      System.out.println(line);
    }
  }
}
