package dev.llmemu.profiles.fidelity;

import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthPair;
import dev.llmemu.engine.workload.ShareGptLengths;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code vllm bench serve}-style workloads (docs/vllm-behaviour.md §5): a dataset of (prompt,
 * output) lengths, and arrivals all at once ({@code --request-rate inf}) or with i.i.d. gamma gaps
 * (burstiness 1 = Poisson) rescaled so the last request is sent at N / rate.
 */
public final class BenchServeWorkload {
  /** The length datasets. */
  public enum Dataset {
    /** {@code --dataset-name random}: uniform lengths around input/output len with range ratio. */
    RANDOM,
    /** {@link ShareGptLengths}: synthetic ShareGPT-like lengths (matched to published means). */
    SHAREGPT_LIKE,
    /** Azure LLM inference trace 2023, conversation (via Vidur, ../shared/data). */
    SPLITWISE_CONV,
    /** Azure LLM inference trace 2023, code (via Vidur, ../shared/data). */
    SPLITWISE_CODE;

    public static Dataset of(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
  }

  /** Options, named as {@code vllm bench serve}'s flags. */
  public record Options(
      Dataset dataset,
      int numPrompts,
      double requestRate,
      double burstiness,
      int randomInputLen,
      int randomOutputLen,
      double randomRangeRatio,
      boolean ignoreEos,
      long seed) {
    public static Options defaults() {
      return new Options(
          Dataset.SHAREGPT_LIKE, 1000, Double.POSITIVE_INFINITY, 1.0, 1024, 128, 0.0, false, 0);
    }
  }

  private BenchServeWorkload() {}

  /** The requests; {@code data} is needed only for the splitwise traces. */
  public static List<RequestSpec> build(Options o, Path data) {
    SplittableRandom random = new SplittableRandom(o.seed());
    int[][] lengths = lengths(o, data, random.split());
    long[] arrivals =
        Double.isInfinite(o.requestRate())
            ? new long[o.numPrompts()]
            : ArrivalProcess.gamma(o.requestRate(), o.burstiness())
                .arrivalsNanos(o.numPrompts(), random.split());
    SplittableRandom tokens = random.split();
    List<RequestSpec> specs = new ArrayList<>(o.numPrompts());
    for (int i = 0; i < o.numPrompts(); i++) {
      int[] prompt = new int[lengths[i][0]];
      prompt[0] = 1;
      for (int k = 1; k < prompt.length; k++) {
        prompt[k] = tokens.nextInt(3, 32_000);
      }
      int out = lengths[i][1];
      RequestSpec.Builder b =
          RequestSpec.builder()
              .requestId("bench-" + i)
              .promptTokenIds(prompt)
              .maxTokens(out)
              .ignoreEos(o.ignoreEos())
              .arrival(Duration.ofNanos(arrivals[i]));
      if (!o.ignoreEos()) {
        // The dataset's reference completion length: the emulated model stops there.
        b.outputTokensHint(out);
      }
      specs.add(b.build());
    }
    return specs;
  }

  private static int[][] lengths(Options o, Path data, SplittableRandom random) {
    int n = o.numPrompts();
    int[][] out = new int[n][];
    switch (o.dataset()) {
      case RANDOM -> {
        double r = o.randomRangeRatio();
        int inLo = (int) Math.floor(o.randomInputLen() * (1 - r));
        int inHi = (int) Math.ceil(o.randomInputLen() * (1 + r));
        int outLo = Math.max(1, (int) Math.floor(o.randomOutputLen() * (1 - r)));
        int outHi = (int) Math.ceil(o.randomOutputLen() * (1 + r));
        for (int i = 0; i < n; i++) {
          // vLLM's prompt_len excludes the BOS the server adds.
          out[i] = new int[] {random.nextInt(inLo, inHi + 1) + 1, random.nextInt(outLo, outHi + 1)};
        }
      }
      case SHAREGPT_LIKE -> {
        for (int i = 0; i < n; i++) {
          LengthPair pair = ShareGptLengths.sample(random);
          out[i] = new int[] {pair.prompt(), pair.output()};
        }
      }
      case SPLITWISE_CONV, SPLITWISE_CODE -> {
        String file =
            o.dataset() == Dataset.SPLITWISE_CONV ? "splitwise_conv.csv" : "splitwise_code.csv";
        int[][] trace =
            SplitwiseTrace.read(data.resolve("vidur").resolve("processed_traces").resolve(file));
        for (int i = 0; i < n; i++) {
          out[i] = trace[random.nextInt(trace.length)].clone();
        }
      }
      default -> throw new AssertionError(o.dataset());
    }
    return out;
  }
}
