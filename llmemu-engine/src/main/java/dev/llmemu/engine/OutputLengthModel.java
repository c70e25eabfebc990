package dev.llmemu.engine;

import java.util.random.RandomGenerator;

/**
 * How many tokens the emulated model generates before it emits EOS on its own, for requests without
 * {@code ignore_eos}. The request still stops earlier at {@code max_tokens} or the model length,
 * and never before {@code min_tokens}.
 *
 * <p>A request that carries {@link RequestSpec#outputTokensHint()} uses that length instead
 * (dataset-driven lengths).
 */
@FunctionalInterface
public interface OutputLengthModel {

  /** Returned by models that never emit EOS. */
  int NEVER = Integer.MAX_VALUE;

  /**
   * The natural length of this request's output, counting the EOS token, or {@link #NEVER}. Called
   * once per request (per choice when n > 1) with a generator seeded for that request.
   */
  int sampleLength(RequestSpec request, RandomGenerator random);

  /**
   * Never emits EOS: every request runs to {@code max_tokens} (or the model length). This is what
   * LLM-Emu does and what {@code vllm bench serve --ignore-eos} measures.
   */
  static OutputLengthModel maxTokens() {
    return named("max-tokens", (r, g) -> NEVER);
  }

  /** Emits EOS as token {@code length} (so {@code length - 1} tokens of text). */
  static OutputLengthModel fixed(int length) {
    if (length < 1) {
      throw new IllegalArgumentException("length must be at least 1, got " + length);
    }
    return named("fixed(" + length + ")", (r, g) -> length);
  }

  /** EOS position drawn uniformly from {@code [min, max]}. */
  static OutputLengthModel uniform(int min, int max) {
    if (min < 1 || max < min) {
      throw new IllegalArgumentException(
          "uniform output length needs 1 <= min <= max, got [" + min + ", " + max + "]");
    }
    return named("uniform(" + min + ", " + max + ")", (r, g) -> g.nextInt(min, max + 1));
  }

  /**
   * EOS position from a log-normal distribution with the given median and shape: the heavy right
   * tail of chat answers.
   */
  static OutputLengthModel logNormal(double median, double sigma) {
    if (!(median >= 1) || !(sigma >= 0)) {
      throw new IllegalArgumentException(
          "log-normal output length needs median >= 1 and sigma >= 0, got "
              + median
              + ", "
              + sigma);
    }
    double mu = Math.log(median);
    return named(
        "logNormal(median=" + median + ", sigma=" + sigma + ")",
        (r, g) ->
            (int)
                Math.max(
                    1, Math.min(NEVER - 1L, Math.round(Math.exp(mu + sigma * g.nextGaussian())))));
  }

  private static OutputLengthModel named(String name, OutputLengthModel model) {
    return new OutputLengthModel() {
      @Override
      public int sampleLength(RequestSpec request, RandomGenerator random) {
        return model.sampleLength(request, random);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }
}
