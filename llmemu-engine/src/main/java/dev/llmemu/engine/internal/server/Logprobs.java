package dev.llmemu.engine.internal.server;

import dev.llmemu.engine.internal.text.SyntheticVocabulary;

/**
 * Plausible, deterministic logprobs for synthetic tokens: the same token at the same position
 * always gets the same values, the sampled token is usually (not always) the most likely one, and
 * the probabilities of the listed alternatives never sum past 1.
 */
final class Logprobs {
  /** A candidate token and its logprob. */
  record Candidate(int tokenId, double logprob) {}

  private Logprobs() {}

  static long mix(long a, long b) {
    long h = a * 0x9E3779B97F4A7C15L + b;
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    h ^= h >>> 29;
    return h;
  }

  private static double unit(long h) {
    return (h >>> 11) * 0x1.0p-53;
  }

  /** The sampled token's logprob at {@code position} (0-based output index). */
  static double sampled(int tokenId, int position) {
    double u = unit(mix(tokenId, position));
    return round(Math.log(Math.max(1e-6, 1.0 - 0.9 * u * u)));
  }

  /**
   * The {@code k} most likely tokens at this position, most likely first; the sampled token is
   * among them when its logprob ranks within the top {@code k}.
   */
  static Candidate[] top(int tokenId, int position, int k) {
    if (k <= 0) {
      return new Candidate[0];
    }
    double sampled = sampled(tokenId, position);
    double rest = 1.0 - Math.exp(sampled);
    SyntheticVocabulary vocab = SyntheticVocabulary.get();
    Candidate[] out = new Candidate[k];
    int filled = 0;
    boolean placed = false;
    long h = mix(tokenId * 31L + 7, position);
    for (int j = 0; filled < k; j++) {
      double alt = round(Math.log(Math.max(1e-9, rest * Math.pow(0.5, j + 1))));
      if (!placed && sampled >= alt) {
        out[filled++] = new Candidate(tokenId, sampled);
        placed = true;
        if (filled == k) {
          break;
        }
      }
      int alternative;
      do {
        h = mix(h, j);
        alternative = vocab.wordToken((int) (h >>> 33));
      } while (alternative == tokenId);
      out[filled++] = new Candidate(alternative, alt);
    }
    return out;
  }

  private static double round(double v) {
    return Math.round(v * 1e6) / 1e6;
  }
}
