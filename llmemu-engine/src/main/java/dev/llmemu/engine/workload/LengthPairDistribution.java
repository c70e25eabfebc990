package dev.llmemu.engine.workload;

import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Prompt and output lengths drawn together, for datasets where they go in pairs (a conversation's
 * question and its answer): {@link ShareGptLengths#pairs()}, or a user's own list with {@link
 * #choice(List)}. Two independent {@link LengthDistribution}s make one with {@link
 * #independent(LengthDistribution, LengthDistribution)}.
 */
@FunctionalInterface
public interface LengthPairDistribution {

  /** One (prompt, output) pair. */
  LengthPair sample(RandomGenerator random);

  /** The prompt length from {@code prompt}, then the output length from {@code output}. */
  static LengthPairDistribution independent(LengthDistribution prompt, LengthDistribution output) {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(output, "output");
    return named(
        "prompts " + prompt + ", outputs " + output,
        random -> new LengthPair(prompt.sample(random), output.sample(random)));
  }

  /** Draws uniformly from the given pairs (a user's own list of request shapes). */
  static LengthPairDistribution choice(List<LengthPair> pairs) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("choice needs at least one length pair");
    }
    List<LengthPair> copy = List.copyOf(pairs);
    return named(
        "choice(" + copy.size() + " length pairs)",
        random -> copy.get(random.nextInt(copy.size())));
  }

  /** This distribution with a name for {@link Object#toString()} (descriptions and reports). */
  static LengthPairDistribution named(String name, LengthPairDistribution d) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(d, "d");
    return new LengthPairDistribution() {
      @Override
      public LengthPair sample(RandomGenerator random) {
        return d.sample(random);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }
}
