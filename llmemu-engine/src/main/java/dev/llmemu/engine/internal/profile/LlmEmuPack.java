package dev.llmemu.engine.internal.profile;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.SchedulingPolicy;
import dev.llmemu.engine.profile.HardwareProfile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * LLM-Emu profile packs ({@code AKafakA/llm-emu}, docs/llm-emu-method.md §3), loaded unchanged:
 * version 2.0 ({@code serving_step_cycle_2d}: buckets keyed by {@code tt} and {@code conc} in
 * {@code prefill_2d_distribution}, {@code decode_2d_distribution}, {@code
 * step_cycle_2d_distribution}) and 2.1, which adds 3-D buckets keyed by {@code tt}, {@code conc}
 * and {@code new_reqs} in {@code *_axis_distribution} tables (used in preference when present).
 * Samples are whole step cycles in microseconds, drawn by the {@link ShepardOracle} with LLM-Emu's
 * M = 30; queries use the raw step values against the bucket centres, as LLM-Emu does.
 */
final class LlmEmuPack {
  private static final long GIB = 1L << 30;
  private static final int ASSUMED_KV_TOKENS = 131_072;

  private LlmEmuPack() {}

  static HardwareProfile read(JsonField r) {
    String version = r.get("version").string();
    if (!version.equals("2.0") && !version.equals("2.1")) {
      throw r.get("version")
          .error(
              "is \"" + version + "\" but llmemu reads LLM-Emu packs of version 2.0 and 2.1",
              "Re-export the pack with LLM-Emu's builder at version 2.0 or 2.1");
    }
    String gpuModel = r.get("gpu_model").string();
    String modelName = r.get("model_name").string();
    String profileType = r.get("profile_type").string();
    JsonField bucketing = r.get("bucketing");
    double ttWidth = bucketing.present() ? bucketing.get("tt_bucket_width").number(1, 1e9, 1) : 1;
    double concWidth =
        bucketing.present() ? bucketing.get("conc_bucket_width").number(1, 1e9, 5) : 5;

    boolean threeD =
        version.equals("2.1")
            && (r.get("prefill_axis_distribution").size() > 0
                || r.get("decode_axis_distribution").size() > 0
                || r.get("step_cycle_axis_distribution").size() > 0);
    List<StepDimension> dims =
        threeD
            ? List.of(StepDimension.TT, StepDimension.CONC, StepDimension.NEW_REQS)
            : List.of(StepDimension.TT, StepDimension.CONC);
    String suffix = threeD ? "_axis_distribution" : "_2d_distribution";
    ShepardOracle prefill = table(r.get("prefill" + suffix), threeD);
    ShepardOracle decode = table(r.get("decode" + suffix), threeD);
    ShepardOracle all = table(r.get("step_cycle" + suffix), threeD);
    if (isEmpty(prefill) && isEmpty(decode) && isEmpty(all)) {
      throw r.get("step_cycle" + suffix)
          .error(
              "and the prefill and decode tables hold no samples",
              "The pack has nothing to sample; re-capture it");
    }
    double[] widths =
        threeD ? new double[] {ttWidth, concWidth, 1} : new double[] {ttWidth, concWidth};
    boolean[] snap = new boolean[dims.size()];

    JsonField mc = r.get("model_config");
    JsonField gpu = mc.get("gpu");
    String gpuName = gpu.present() ? gpu.get("gpu_name").string(gpuModel) : gpuModel;
    long gpuMemory = gpu.present() ? gpu.get("gpu_memory_bytes").integer(0L, 1L << 50) : 0;
    int tp = gpu.present() ? gpu.get("gpu_count").integer(1, 64, 1) : 1;
    boolean h100Class = gpuMemory >= 70 * GIB && !gpuName.toLowerCase(Locale.ROOT).contains("a100");
    int maxNumSeqs = h100Class ? 1024 : 256;
    int maxBatched = h100Class ? 8192 : 2048;
    int blockSize = mc.present() ? mc.get("block_size").integer(1, 1024, 16) : 16;
    int maxModelLen = mc.present() ? mc.get("max_model_len").integer(2, 1 << 24, 4096) : 4096;
    String kvNote;
    int numGpuBlocks;
    JsonField kvTokens = gpu.get("available_kv_cache_tokens");
    if (kvTokens.present()) {
      numGpuBlocks = (int) (kvTokens.integer(1L, 1L << 40) / blockSize) + 1;
      kvNote = "KV cache from the pack's measured available_kv_cache_tokens";
    } else if (mc.present() && gpuMemory > 0) {
      ModelGeometry geometry =
          new ModelGeometry(
              modelName,
              mc.get("num_hidden_layers").integer(1, 10_000),
              mc.get("hidden_size").integer(1, 1 << 20),
              mc.get("num_attention_heads").integer(1, 10_000),
              mc.get("num_key_value_heads").integer(1, 10_000),
              mc.get("head_dim").integer(1, 4096, 128),
              mc.get("intermediate_size").integer(1, 1 << 22),
              mc.get("vocab_size").integer(1, 1 << 24),
              2,
              maxModelLen,
              false,
              false);
      long perToken =
          gpu.get("per_token_kv_bytes").present()
              ? gpu.get("per_token_kv_bytes").integer(1L, 1L << 30)
              : geometry.kvBytesPerTokenPerGpu(tp);
      long available =
          gpu.get("available_kv_cache_bytes").present()
              ? gpu.get("available_kv_cache_bytes").integer(1L, 1L << 50)
              : KvSizing.availableKvBytes(
                  gpuMemory,
                  0.9,
                  geometry.weightBytesPerGpu(tp),
                  KvSizing.estimateReserveBytes(geometry, tp, maxBatched, maxNumSeqs));
      numGpuBlocks = KvSizing.numGpuBlocks(available, perToken, blockSize);
      kvNote = "KV cache sized from the pack's model_config as vLLM would (utilization 0.9)";
    } else {
      numGpuBlocks = ASSUMED_KV_TOKENS / blockSize + 1;
      kvNote =
          "the pack has no model_config: KV cache assumed to hold "
              + ASSUMED_KV_TOKENS
              + " tokens; pin the real size with num_gpu_blocks";
    }
    if (numGpuBlocks < 2 || (long) (numGpuBlocks - 1) * blockSize < maxModelLen) {
      throw mc.error(
          "describes a KV cache of "
              + numGpuBlocks
              + " blocks, too small for max_model_len "
              + maxModelLen,
          "Add gpu.available_kv_cache_tokens with the size vLLM logged");
    }
    EngineConfig config =
        new EngineConfig(
            blockSize,
            numGpuBlocks,
            maxNumSeqs,
            maxBatched,
            maxModelLen,
            0,
            true,
            true,
            SchedulingPolicy.FCFS,
            0,
            true);
    String name = slug("llm-emu-" + gpuModel + "-" + modelName);
    long samples =
        (prefill == null ? 0 : prefill.numSamples())
            + (decode == null ? 0 : decode.numSamples())
            + (all == null ? 0 : all.numSamples());
    String label = name + " (LLM-Emu " + version + " " + profileType + ", " + samples + " samples)";
    return new HardwareProfile(
        name,
        gpuName,
        modelName,
        tp,
        config,
        new EmpiricalStepModel(dims, widths, snap, prefill, decode, all, 0, label),
        "LLM-Emu pack " + version + " for " + modelName + " on " + gpuName + "; " + kvNote,
        Duration.ZERO, // LLM-Emu packs have no front-end terms
        Duration.ZERO,
        r.source(),
        "llm-emu/" + version,
        null,
        null);
  }

  private static boolean isEmpty(@Nullable ShepardOracle o) {
    return o == null || o.isEmpty();
  }

  private static @Nullable ShepardOracle table(JsonField f, boolean threeD) {
    if (!f.present()) {
      return null;
    }
    List<ShepardOracle.Bucket> buckets = new ArrayList<>();
    for (JsonField b : f.elements()) {
      b.requireObject();
      double tt = b.get("tt").number(0, 1e12);
      double conc = b.get("conc").number(0, 1e12);
      double[] key;
      if (threeD) {
        JsonField nr = b.get("new_reqs");
        key = new double[] {tt, conc, nr.number(0, 1e12)};
      } else {
        key = new double[] {tt, conc};
      }
      JsonField s = b.get("samples");
      double[] samples = s.size() == 0 ? new double[0] : s.numbers(0);
      buckets.add(new ShepardOracle.Bucket(key, samples));
    }
    return new ShepardOracle(buckets, ShepardOracle.DEFAULT_MIN_SAMPLES);
  }

  private static String slug(String s) {
    String out = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-");
    return out.replaceAll("-+", "-").replaceAll("^-|-$", "");
  }
}
