package dev.llmemu.profiles.fidelity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A real serving experiment in the data's layout ({@code
 * inference-sim-training/default_args/<run>}): {@code exp-config.yaml} (model, TP and vLLM limits),
 * {@code profile.yaml} (the inference-perf configuration as written), {@code results/config.yaml}
 * (the configuration inference-perf actually resolved and ran) and {@code
 * results/stage_N_lifecycle_metrics.json} (the measurements).
 *
 * <p>The resolved {@code results/config.yaml} wins over {@code profile.yaml}: the inference-perf
 * version of these runs silently dropped {@code profile.yaml}'s {@code num_unique_system_prompts},
 * {@code num_users_per_system_prompt} and {@code enable_multi_turn_chat} and ran its defaults (10
 * groups of 10 prompts, single turn); see docs/fidelity.md.
 */
public final class InferencePerfExperiment {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final YAMLMapper YAML = new YAMLMapper();

  /** One constant-rate load stage. */
  public record Stage(int index, double rate, double duration) {}

  /** The shared-prefix data generator's effective settings. */
  public record SharedPrefix(
      int numGroups, int promptsPerGroup, int systemPromptLen, int questionLen, int outputLen) {}

  /** Measured prompt lengths in tokens (client-side, BOS included). */
  public record PromptLengths(double mean, double min, double p10, double p90, double max) {}

  private final Path dir;
  private final String name;
  private final String model;
  private final int tensorParallelSize;
  private final int maxModelLen;
  private final int maxNumBatchedTokens;
  private final int maxNumSeqs;
  private final SharedPrefix sharedPrefix;
  private final List<Stage> stages;
  private final double stageInterval;
  private final @Nullable Double requestTimeout;
  private final boolean ignoreEos;
  private final PromptLengths promptLengths;
  private final List<JsonNode> stageMetrics;

  private InferencePerfExperiment(Path dir) throws IOException {
    this.dir = dir;
    this.name = dir.getFileName().toString();
    JsonNode exp = YAML.readTree(dir.resolve("exp-config.yaml").toFile());
    model = exp.path("model").asText();
    tensorParallelSize = exp.path("tensor_parallelism").asInt(1);
    maxModelLen = exp.path("max_model_len").asInt(0);
    maxNumBatchedTokens = exp.path("max_num_batched_tokens").asInt(0);
    maxNumSeqs = exp.path("max_num_seqs").asInt(0);
    Path resolved = dir.resolve("results").resolve("config.yaml");
    JsonNode cfg;
    boolean fromResolved = Files.exists(resolved);
    if (fromResolved) {
      cfg = YAML.readTree(resolved.toFile());
    } else {
      cfg = JSON.readTree(Files.readString(dir.resolve("profile.yaml")));
    }
    JsonNode sp = cfg.path("data").path("shared_prefix");
    if (sp.isMissingNode()) {
      throw new IllegalArgumentException(
          dir
              + ": only inference-perf shared_prefix experiments can be replayed, data.type is "
              + cfg.path("data").path("type").asText("?"));
    }
    sharedPrefix =
        new SharedPrefix(
            firstInt(sp, 10, "num_groups", "num_unique_system_prompts"),
            firstInt(sp, 10, "num_prompts_per_group", "num_users_per_system_prompt"),
            sp.path("system_prompt_len").asInt(),
            sp.path("question_len").asInt(),
            sp.path("output_len").asInt());
    List<Stage> st = new ArrayList<>();
    int i = 0;
    for (JsonNode s : cfg.path("load").path("stages")) {
      st.add(new Stage(i++, s.path("rate").asDouble(), s.path("duration").asDouble()));
    }
    stages = List.copyOf(st);
    stageInterval = cfg.path("load").path("interval").asDouble(1.0);
    JsonNode timeout = cfg.path("load").path("request_timeout");
    requestTimeout = timeout.isNumber() ? timeout.asDouble() : null;
    ignoreEos = cfg.path("server").path("ignore_eos").asBoolean(true);
    JsonNode summary =
        JSON.readTree(dir.resolve("results").resolve("summary_lifecycle_metrics.json").toFile());
    JsonNode pl = summary.path("successes").path("prompt_len");
    promptLengths =
        new PromptLengths(
            pl.path("mean").asDouble(),
            pl.path("min").asDouble(),
            pl.path("p10").asDouble(),
            pl.path("p90").asDouble(),
            pl.path("max").asDouble());
    List<JsonNode> metrics = new ArrayList<>();
    for (Stage s : stages) {
      metrics.add(
          JSON.readTree(
              dir.resolve("results")
                  .resolve("stage_" + s.index() + "_lifecycle_metrics.json")
                  .toFile()));
    }
    stageMetrics = List.copyOf(metrics);
  }

  private static int firstInt(JsonNode n, int fallback, String... names) {
    for (String k : names) {
      if (n.has(k)) {
        return n.get(k).asInt();
      }
    }
    return fallback;
  }

  /** Reads an experiment folder. */
  public static InferencePerfExperiment read(Path dir) {
    try {
      return new InferencePerfExperiment(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read experiment " + dir + ": " + e.getMessage(), e);
    }
  }

  public Path dir() {
    return dir;
  }

  public String name() {
    return name;
  }

  /** Short label: the run's workload name (the folder name's last word). */
  public String label() {
    int dash = name.lastIndexOf('-');
    return dash >= 0 ? name.substring(dash + 1) : name;
  }

  public String model() {
    return model;
  }

  public int tensorParallelSize() {
    return tensorParallelSize;
  }

  public int maxModelLen() {
    return maxModelLen;
  }

  public int maxNumBatchedTokens() {
    return maxNumBatchedTokens;
  }

  public int maxNumSeqs() {
    return maxNumSeqs;
  }

  public SharedPrefix sharedPrefix() {
    return sharedPrefix;
  }

  public List<Stage> stages() {
    return stages;
  }

  public double stageInterval() {
    return stageInterval;
  }

  /**
   * The client's request timeout in seconds, or null for aiohttp's default total timeout (300 s).
   */
  public @Nullable Double requestTimeout() {
    return requestTimeout;
  }

  public boolean ignoreEos() {
    return ignoreEos;
  }

  public PromptLengths promptLengths() {
    return promptLengths;
  }

  /**
   * The measured metrics of a stage, as compared (docs/fidelity.md): TTFT and E2E as reported; TPOT
   * derived as {@code (E2E_mean − TTFT_mean) / (output_len − 1)} because the reported TPOT and ITL
   * are about half the physical per-token time; ITL the reported mean; output throughput as {@code
   * requests_per_sec × output_len} because the reported token counts come from re-tokenising
   * streamed text and undercount.
   */
  public StageMetrics realMetrics(int stage) {
    JsonNode m = stageMetrics.get(stage);
    JsonNode ok = m.path("successes");
    JsonNode lat = ok.path("latency");
    JsonNode ttft = lat.path("time_to_first_token");
    JsonNode e2e = lat.path("request_latency");
    int n = sharedPrefix.outputLen();
    double tpot = (e2e.path("mean").asDouble() - ttft.path("mean").asDouble()) / (n - 1);
    return new StageMetrics(
        ok.path("count").asInt(),
        m.path("failures").path("count").asInt(),
        ttft.path("mean").asDouble(),
        ttft.path("median").asDouble(),
        ttft.path("p90").asDouble(),
        ttft.path("p99").asDouble(),
        tpot,
        lat.path("inter_token_latency").path("mean").asDouble(),
        e2e.path("mean").asDouble(),
        e2e.path("median").asDouble(),
        e2e.path("p90").asDouble(),
        e2e.path("p99").asDouble(),
        ok.path("throughput").path("requests_per_sec").asDouble() * n);
  }

  /** Lists the experiment folders (those holding an {@code exp-config.yaml}) under a directory. */
  public static List<Path> findAll(Path root) {
    try (var s = Files.walk(root, 3)) {
      return s.filter(p -> Files.exists(p.resolve("exp-config.yaml")))
          .filter(p -> Files.exists(p.resolve("results")))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
