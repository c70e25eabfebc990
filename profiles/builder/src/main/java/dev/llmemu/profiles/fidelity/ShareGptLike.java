package dev.llmemu.profiles.fidelity;

import java.util.random.RandomGenerator;

/**
 * A synthetic stand-in for {@code vllm bench serve --dataset-name sharegpt} lengths, for when the
 * ShareGPT file is not at hand (it is not here). Prompt and output lengths are log-normal (σ 1.2
 * and 0.9: a heavy right tail), then filtered exactly as vLLM's benchmark filters ShareGPT (prompt
 * in [4, 1024], output ≥ 4, prompt + output ≤ 2048). The medians are set so that the filtered means
 * match the only published aggregate we could find: 229.7 prompt and 203.1 output tokens per
 * request (vllm-project/vllm PR #18566, 1000 ShareGPT prompts, Llama-3 tokenizer). Only the means
 * are matched; the shape is an assumption (docs/fidelity.md).
 */
public final class ShareGptLike {
  /** log of the prompt-length median before filtering. */
  static final double PROMPT_MU = 5.1328;

  static final double PROMPT_SIGMA = 1.2;

  /** log of the output-length median before filtering. */
  static final double OUTPUT_MU = 4.9334;

  static final double OUTPUT_SIGMA = 0.9;

  private ShareGptLike() {}

  /** One (prompt, output) length pair, both in tokens, passing vLLM's ShareGPT filter. */
  public static int[] sample(RandomGenerator random) {
    while (true) {
      int prompt = (int) Math.round(Math.exp(PROMPT_MU + PROMPT_SIGMA * random.nextGaussian()));
      int output = (int) Math.round(Math.exp(OUTPUT_MU + OUTPUT_SIGMA * random.nextGaussian()));
      if (prompt >= 4 && prompt <= 1024 && output >= 4 && prompt + output <= 2048) {
        return new int[] {prompt, output};
      }
    }
  }
}
