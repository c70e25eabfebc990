package dev.llmemu.profiles.builder;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.profiles.fidelity.FidelityCommand;
import dev.llmemu.profiles.fidelity.InferencePerfExperiment;
import dev.llmemu.profiles.fidelity.StageComparison;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Regenerates the bundled catalog (docs/profiles.md): calibrates the overhead terms on the four
 * calibration runs, replays them for the fidelity table, and writes every profile of {@link
 * #ENTRIES} plus {@code index.json} under {@code profiles/catalog/src/main/resources/dev/llmemu/
 * profiles/}.
 *
 * <pre>CatalogCommand [--root REPO_ROOT] [--skip-calibration] [--seed 42]</pre>
 */
public final class CatalogCommand {
  /** One catalog profile. */
  public record Entry(GpuSpec gpu, ModelSpec model, int tp) {}

  public static final List<Entry> ENTRIES = entries();

  private CatalogCommand() {}

  private static List<Entry> entries() {
    List<Entry> e = new ArrayList<>();
    for (GpuSpec gpu : List.of(GpuSpec.H100, GpuSpec.A100)) {
      for (ModelSpec m :
          List.of(
              ModelSpec.LLAMA_3_1_8B,
              ModelSpec.LLAMA_2_7B,
              ModelSpec.QWEN3_8B,
              ModelSpec.QWEN3_14B,
              ModelSpec.MISTRAL_7B)) {
        e.add(new Entry(gpu, m, 1));
      }
    }
    e.add(new Entry(GpuSpec.H100, ModelSpec.LLAMA_3_1_70B, 4));
    e.add(new Entry(GpuSpec.H100, ModelSpec.LLAMA_2_70B, 4));
    e.add(new Entry(GpuSpec.H100, ModelSpec.CODELLAMA_34B, 2));
    return List.copyOf(e);
  }

  public static void main(String[] args) throws IOException {
    Path root = Path.of("");
    boolean calibrate = true;
    long seed = 42;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--root" -> root = Path.of(args[++i]);
        case "--skip-calibration" -> calibrate = false;
        case "--seed" -> seed = Long.parseLong(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Path data = SharedData.require();
    Path builder = root.resolve("profiles/builder/src/main/resources/dev/llmemu/profiles/builder");
    Path catalog = root.resolve("profiles/catalog/src/main/resources/dev/llmemu/profiles");
    KernelData h100 = KernelData.load(data, GpuSpec.H100);
    KernelData a100 = KernelData.load(data, GpuSpec.A100);
    List<Path> runs = InferencePerfExperiment.findAll(FidelityCommand.calibrationRoot(data));
    Overheads overheads;
    List<StageComparison> fidelity;
    if (calibrate) {
      long t0 = System.nanoTime();
      Calibration.Fit fit = Calibration.fit(h100, runs, seed);
      Calibration.write(fit, builder.resolve("calibration.json"));
      overheads = fit.overheads();
      fidelity = fit.stages();
      System.out.printf(
          Locale.ROOT,
          "calibrated on %d runs in %.1f s: %s%n",
          runs.size(),
          (System.nanoTime() - t0) / 1e9,
          Calibration.describe(overheads));
    } else {
      overheads = Calibration.load();
      fidelity = FidelityCommand.run(runs, GpuSpec.H100, null, overheads, seed, data);
    }
    Files.createDirectories(catalog);
    ArrayNode index = ProfileBuilder.JSON.createArrayNode();
    for (Entry e : ENTRIES) {
      String name = ProfileBuilder.name(e.gpu(), e.model(), e.tp());
      ObjectNode extra = ProfileBuilder.JSON.createObjectNode();
      extra.put(
          "calibration",
          Calibration.describe(overheads)
              + " (profiles/builder/src/main/resources"
              + Calibration.RESOURCE.substring(0, Calibration.RESOURCE.lastIndexOf('/'))
              + "/calibration.json)");
      ObjectNode doc =
          ProfileBuilder.build(
              name,
              e.gpu() == GpuSpec.H100 ? h100 : a100,
              e.model(),
              e.tp(),
              EngineSettings.defaultsFor(e.gpu()),
              overheads,
              extra,
              fidelitySection(e, fidelity));
      HardwareProfile loaded = ProfileBuilder.load(doc);
      Path file = catalog.resolve(name + ".json");
      Files.writeString(
          file,
          ProfileBuilder.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc) + "\n");
      ObjectNode i = index.addObject();
      i.put("name", name);
      i.put("gpu", e.gpu().name());
      i.put("model", e.model().geometry().id());
      i.put("tensor_parallel_size", e.tp());
      i.put("kv_cache_tokens", loaded.kvCacheTokens());
      i.put("max_model_len", loaded.engineConfig().maxModelLen());
      System.out.printf(
          Locale.ROOT,
          "%-28s %6.1f kB  KV %,d tokens  max_model_len %d%n",
          name,
          Files.size(file) / 1024.0,
          loaded.kvCacheTokens(),
          loaded.engineConfig().maxModelLen());
    }
    ObjectNode idx = ProfileBuilder.JSON.createObjectNode();
    idx.put("default", Profiles.DEFAULT_PROFILE);
    idx.set("profiles", index);
    Files.writeString(
        catalog.resolve("index.json"),
        ProfileBuilder.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(idx) + "\n");
  }

  private static ObjectNode fidelitySection(Entry e, List<StageComparison> stages) {
    ObjectNode f = ProfileBuilder.JSON.createObjectNode();
    if (e.gpu() == GpuSpec.H100 && e.model() == ModelSpec.LLAMA_2_7B && e.tp() == 1) {
      f.put(
          "measured_against",
          "4 real vLLM ~0.15 runs of Llama-2-7B on 1x H100 (inference-perf shared_prefix, 6 stages),"
              + " replayed with each run's engine settings (max_num_seqs 128,"
              + " max_num_batched_tokens 2048, max_model_len 4096); docs/fidelity.md");
      f.put(
          "note",
          "these runs also calibrated the overhead terms: an in-sample fit, not a validation");
      ArrayNode rows = f.putArray("stages");
      for (StageComparison c : stages) {
        ObjectNode r = rows.addObject();
        double[] x = c.errors();
        r.put("run", c.experiment());
        r.put("stage", c.stage());
        r.put("overloaded", c.overloaded());
        r.put("ttft_mean_pct", r1(x[0]));
        r.put("ttft_p90_pct", r1(x[2]));
        r.put("tpot_pct", r1(x[4]));
        r.put("e2e_mean_pct", r1(x[6]));
        r.put("output_throughput_pct", r1(x[10]));
      }
    } else {
      f.put(
          "measured_against",
          "none: built from kernel data and the shared overhead calibration only; no real serving run"
              + " of this model, GPU and tensor-parallel size was used to build or tune it");
    }
    return f;
  }

  private static double r1(double x) {
    return Double.isFinite(x) ? Math.round(x * 10) / 10.0 : 0;
  }
}
