package dev.llmemu.engine.workload;

import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.internal.text.SyntheticVocabulary;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * A list of requests with their arrival times: what a {@link dev.llmemu.engine.Simulator} replays.
 * Build a synthetic one with {@link #builder()}, or wrap your own specs with {@link #of(List)}.
 *
 * <pre>{@code
 * Workload w = Workload.builder()
 *     .requests(1000)
 *     .arrivals(ArrivalProcess.poisson(20))
 *     .promptLength(LengthDistribution.uniform(200, 300))
 *     .outputLength(LengthDistribution.fixed(256))
 *     .ignoreEos(true)
 *     .seed(42)
 *     .build();
 * }</pre>
 */
public final class Workload {
  private final List<RequestSpec> requests;
  private final String description;

  private Workload(List<RequestSpec> requests, String description) {
    this.requests = List.copyOf(requests);
    this.description = description;
  }

  /** Wraps requests whose {@link RequestSpec#arrival()} is already set. */
  public static Workload of(List<RequestSpec> requests) {
    return new Workload(requests, requests.size() + " requests");
  }

  public static Builder builder() {
    return new Builder();
  }

  public List<RequestSpec> requests() {
    return requests;
  }

  public int size() {
    return requests.size();
  }

  @Override
  public String toString() {
    return description;
  }

  /** Builds a synthetic workload; everything random is drawn from {@link #seed(long)}. */
  public static final class Builder {
    private int count = 100;
    private ArrivalProcess arrivals = ArrivalProcess.allAtOnce();
    private LengthDistribution promptLength = LengthDistribution.fixed(256);
    private LengthDistribution outputLength = LengthDistribution.fixed(128);
    private @Nullable LengthPairDistribution lengths;
    private boolean ignoreEos = true;
    private int sharedPrefixTokens;
    private long seed;

    private Builder() {}

    public Builder requests(int value) {
      if (value < 0) {
        throw new IllegalArgumentException("request count must not be negative, got " + value);
      }
      count = value;
      return this;
    }

    public Builder arrivals(ArrivalProcess value) {
      arrivals = Objects.requireNonNull(value, "arrivals");
      return this;
    }

    /** Prompt lengths in tokens, shared prefix included. */
    public Builder promptLength(LengthDistribution value) {
      promptLength = Objects.requireNonNull(value, "promptLength");
      lengths = null;
      return this;
    }

    /** Output lengths: each request's {@code max_tokens}. */
    public Builder outputLength(LengthDistribution value) {
      outputLength = Objects.requireNonNull(value, "outputLength");
      lengths = null;
      return this;
    }

    /**
     * Prompt and output lengths drawn as pairs, e.g. {@link ShareGptLengths#pairs()}; replaces
     * {@link #promptLength} and {@link #outputLength}.
     */
    public Builder lengths(LengthPairDistribution value) {
      lengths = Objects.requireNonNull(value, "lengths");
      return this;
    }

    /**
     * Whether requests set {@code ignore_eos} (default true, so outputs are exactly max_tokens).
     */
    public Builder ignoreEos(boolean value) {
      ignoreEos = value;
      return this;
    }

    /** Tokens at the start of every prompt that are the same for all requests. */
    public Builder sharedPrefixTokens(int value) {
      if (value < 0) {
        throw new IllegalArgumentException("shared prefix must not be negative, got " + value);
      }
      sharedPrefixTokens = value;
      return this;
    }

    public Builder seed(long value) {
      seed = value;
      return this;
    }

    public Workload build() {
      SplittableRandom random = new SplittableRandom(seed);
      long[] times = arrivals.arrivalsNanos(count, random.split());
      SplittableRandom lengths = random.split();
      SplittableRandom tokens = random.split();
      SyntheticVocabulary vocab = SyntheticVocabulary.get();
      int[] prefix = new int[sharedPrefixTokens];
      for (int i = 0; i < prefix.length; i++) {
        prefix[i] = vocab.wordToken(tokens.nextInt(vocab.size()));
      }
      LengthPairDistribution shapes =
          this.lengths != null
              ? this.lengths
              : LengthPairDistribution.independent(promptLength, outputLength);
      List<RequestSpec> specs = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        LengthPair shape = shapes.sample(lengths);
        int promptLen = shape.prompt();
        int outputLen = shape.output();
        int[] prompt = new int[Math.max(promptLen, 1)];
        int shared = Math.min(prefix.length, prompt.length);
        System.arraycopy(prefix, 0, prompt, 0, shared);
        for (int k = shared; k < prompt.length; k++) {
          prompt[k] = vocab.wordToken(tokens.nextInt(vocab.size()));
        }
        specs.add(
            RequestSpec.builder()
                .promptTokenIds(prompt)
                .maxTokens(outputLen)
                .ignoreEos(ignoreEos)
                .arrival(Duration.ofNanos(times[i]))
                .build());
      }
      return new Workload(
          specs,
          count
              + " requests, arrivals "
              + arrivals
              + ", "
              + shapes
              + (sharedPrefixTokens > 0 ? ", shared prefix " + sharedPrefixTokens : ""));
    }
  }
}
