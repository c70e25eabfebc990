package dev.llmemu.engine.workload;

import java.util.random.RandomGenerator;

/**
 * Synthetic ShareGPT-like request lengths: a stand-in for {@code vllm bench serve --dataset-name
 * sharegpt} when the ShareGPT file is not at hand, shipped as lengths only (no conversation text).
 *
 * <p><b>Provenance, honestly.</b> These lengths are <em>not</em> drawn from ShareGPT. Prompt and
 * output lengths are log-normal (σ 1.2 and 0.9: a heavy right tail), then filtered exactly as
 * vLLM's benchmark filters ShareGPT entries (prompt in [4, 1024], output ≥ 4, prompt + output ≤
 * 2048). The medians before filtering are set so that the filtered means match the only published
 * aggregate we found: 229.7 prompt and 203.1 output tokens per request (vllm-project/vllm PR
 * #18566: 1,000 ShareGPT prompts, Llama-3 tokenizer). Only those two means are matched; the shape
 * (log-normal, the two σ, no correlation between prompt and output before the filter) is an
 * assumption. The pair is drawn together because the filter couples the two lengths, as it does for
 * real conversations; use {@link #pairs()} to keep that, {@link #prompt()} and {@link #output()}
 * only where a single marginal is wanted.
 *
 * <p>Sampling is deterministic for a given generator: the same seed gives the same pairs in every
 * release, so results that depend on them (the fidelity tables in {@code docs/fidelity.md}) stay
 * reproducible.
 */
public final class ShareGptLengths {
  /** The published mean prompt length the distribution matches (tokens). */
  public static final double PUBLISHED_MEAN_PROMPT = 229.7;

  /** The published mean output length the distribution matches (tokens). */
  public static final double PUBLISHED_MEAN_OUTPUT = 203.1;

  /** log of the prompt-length median before filtering. */
  static final double PROMPT_MU = 5.1328;

  static final double PROMPT_SIGMA = 1.2;

  /** log of the output-length median before filtering. */
  static final double OUTPUT_MU = 4.9334;

  static final double OUTPUT_SIGMA = 0.9;

  private static final LengthPairDistribution PAIRS =
      LengthPairDistribution.named("ShareGPT-like", ShareGptLengths::sample);

  private ShareGptLengths() {}

  /** One (prompt, output) pair that passes vLLM's ShareGPT filter. */
  public static LengthPair sample(RandomGenerator random) {
    while (true) {
      int prompt = (int) Math.round(Math.exp(PROMPT_MU + PROMPT_SIGMA * random.nextGaussian()));
      int output = (int) Math.round(Math.exp(OUTPUT_MU + OUTPUT_SIGMA * random.nextGaussian()));
      if (prompt >= 4 && prompt <= 1024 && output >= 4 && prompt + output <= 2048) {
        return new LengthPair(prompt, output);
      }
    }
  }

  /** Prompt and output lengths drawn as pairs (the usual choice). */
  public static LengthPairDistribution pairs() {
    return PAIRS;
  }

  /** The prompt length of a pair; the output length drawn with it is discarded. */
  public static LengthDistribution prompt() {
    return new LengthDistribution() {
      @Override
      public int sample(RandomGenerator random) {
        return ShareGptLengths.sample(random).prompt();
      }

      @Override
      public String toString() {
        return "ShareGPT-like prompts";
      }
    };
  }

  /** The output length of a pair; the prompt length drawn with it is discarded. */
  public static LengthDistribution output() {
    return new LengthDistribution() {
      @Override
      public int sample(RandomGenerator random) {
        return ShareGptLengths.sample(random).output();
      }

      @Override
      public String toString() {
        return "ShareGPT-like outputs";
      }
    };
  }
}
