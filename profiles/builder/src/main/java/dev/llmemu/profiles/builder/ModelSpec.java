package dev.llmemu.profiles.builder;

import dev.llmemu.engine.internal.profile.ModelGeometry;
import java.util.List;

/**
 * A model of the bundled catalog: its geometry (from its Hugging Face {@code config.json}) and
 * where that came from.
 *
 * @param key short name used in profile names ({@code llama-3.1-8b})
 * @param source citation of the geometry
 */
public record ModelSpec(String key, ModelGeometry geometry, String dtype, String source) {

  private static final String MODEL_CONFIGS =
      "inference-sim/training@ed5c1d26 model_configs/%s/config.json (../shared/data/inference-sim-training)";

  public static final ModelSpec LLAMA_3_1_8B =
      new ModelSpec(
          "llama-3.1-8b",
          new ModelGeometry(
              "meta-llama/Llama-3.1-8B",
              32,
              4096,
              32,
              8,
              128,
              14336,
              128256,
              2,
              131072,
              false,
              false),
          "bfloat16",
          "https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json; layers, hidden,"
              + " heads, KV heads, intermediate and vocab as in ../shared/docs/data-guide.md §3");

  public static final ModelSpec LLAMA_2_7B =
      new ModelSpec(
          "llama-2-7b",
          new ModelGeometry(
              "meta-llama/Llama-2-7b-hf",
              32,
              4096,
              32,
              32,
              128,
              11008,
              32000,
              2,
              4096,
              false,
              false),
          "float16",
          String.format(MODEL_CONFIGS, "Llama-2-7b-hf"));

  public static final ModelSpec QWEN3_8B =
      new ModelSpec(
          "qwen3-8b",
          new ModelGeometry(
              "Qwen/Qwen3-8B", 36, 4096, 32, 8, 128, 12288, 151936, 2, 40960, false, true),
          "bfloat16",
          "https://huggingface.co/Qwen/Qwen3-8B/blob/main/config.json; geometry also in the"
              + " model_config of AKafakA/llm-emu example_profiling_data/A40-Q8-Qwen3-8B.json @9f22a763");

  public static final ModelSpec QWEN3_14B =
      new ModelSpec(
          "qwen3-14b",
          new ModelGeometry(
              "Qwen/Qwen3-14B", 40, 5120, 40, 8, 128, 17408, 151936, 2, 40960, false, true),
          "bfloat16",
          "https://huggingface.co/Qwen/Qwen3-14B/blob/main/config.json (40 layers, hidden 5120, 40"
              + " heads, 8 KV heads, head_dim 128, intermediate 17408, vocab 151936,"
              + " max_position_embeddings 40960)");

  public static final ModelSpec MISTRAL_7B =
      new ModelSpec(
          "mistral-7b",
          new ModelGeometry(
              "mistralai/Mistral-7B-v0.3",
              32,
              4096,
              32,
              8,
              128,
              14336,
              32768,
              2,
              32768,
              false,
              false),
          "bfloat16",
          "https://huggingface.co/mistralai/Mistral-7B-v0.3/blob/main/config.json (v0.3: vocab"
              + " 32768, no sliding window)");

  public static final ModelSpec LLAMA_3_1_70B =
      new ModelSpec(
          "llama-3.1-70b",
          new ModelGeometry(
              "meta-llama/Llama-3.1-70B",
              80,
              8192,
              64,
              8,
              128,
              28672,
              128256,
              2,
              131072,
              false,
              false),
          "bfloat16",
          "https://huggingface.co/meta-llama/Llama-3.1-70B/blob/main/config.json");

  public static final ModelSpec LLAMA_2_70B =
      new ModelSpec(
          "llama-2-70b",
          new ModelGeometry(
              "meta-llama/Llama-2-70b-hf",
              80,
              8192,
              64,
              8,
              128,
              28672,
              32000,
              2,
              4096,
              false,
              false),
          "float16",
          String.format(MODEL_CONFIGS, "Llama-2-70b-hf"));

  public static final ModelSpec CODELLAMA_34B =
      new ModelSpec(
          "codellama-34b",
          new ModelGeometry(
              "codellama/CodeLlama-34b-Instruct-hf",
              48,
              8192,
              64,
              8,
              128,
              22016,
              32000,
              2,
              16384,
              false,
              false),
          "bfloat16",
          String.format(MODEL_CONFIGS, "CodeLlama-34b-Instruct-hf"));

  public static List<ModelSpec> all() {
    return List.of(
        LLAMA_3_1_8B,
        LLAMA_2_7B,
        QWEN3_8B,
        QWEN3_14B,
        MISTRAL_7B,
        LLAMA_3_1_70B,
        LLAMA_2_70B,
        CODELLAMA_34B);
  }

  public static ModelSpec of(String key) {
    for (ModelSpec m : all()) {
      if (m.key.equals(key)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown model '" + key + "'");
  }
}
