package dev.llmemu.profiles.fidelity;

import dev.llmemu.engine.RequestSpec;
import dev.llmemu.profiles.fidelity.InferencePerfExperiment.PromptLengths;
import dev.llmemu.profiles.fidelity.InferencePerfExperiment.SharedPrefix;
import dev.llmemu.profiles.fidelity.InferencePerfExperiment.Stage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The requests of an inference-perf {@code shared_prefix} run, built as that tool builds them
 * (kubernetes-sigs/inference-perf {@code shared_prefix_datagen.py} and {@code load_timer.py} of the
 * pre-multi-turn versions; notes in docs/fidelity.md):
 *
 * <ul>
 *   <li>{@code num_groups} random system prompts of {@code system_prompt_len} random token ids,
 *       each followed (after one space) by {@code num_prompts_per_group} random questions of {@code
 *       question_len} ids: a fixed set of prompts, shuffled once; request k of every stage uses
 *       prompt {@code k mod count}, so every prompt recurs and shares its system prompt with its
 *       group. The text is decoded and re-tokenised by the server: the token length grows by the
 *       measured factor (mean prompt_len − BOS) / (system + question), with the measured spread;
 *       the BOS token is shared by all prompts.
 *   <li>{@code max_tokens = output_len} with {@code ignore_eos}, so every request generates exactly
 *       output_len tokens.
 *   <li>"constant" load: N = int(rate × duration) exponential gaps rescaled to sum to the duration
 *       (not evenly spaced), starting one second after the stage is set up.
 * </ul>
 */
public final class SharedPrefixWorkload {
  /** Llama's BOS token id: the first token of every prompt. */
  static final int BOS = 1;

  private final List<int[]> prompts;
  private final int outputLen;
  private final boolean ignoreEos;

  private SharedPrefixWorkload(List<int[]> prompts, int outputLen, boolean ignoreEos) {
    this.prompts = List.copyOf(prompts);
    this.outputLen = outputLen;
    this.ignoreEos = ignoreEos;
  }

  public static SharedPrefixWorkload build(
      SharedPrefix sp, PromptLengths measured, boolean ignoreEos, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int sys = sp.systemPromptLen();
    int q = sp.questionLen();
    double ids = sys + q;
    double growth = (measured.mean() - 1) / ids;
    // Spread of the measured lengths (p10..p90 of a normal is 2.563 sigma), as variance per id.
    double sigma = Math.max(0, (measured.p90() - measured.p10()) / 2.563);
    double varPerId = sigma * sigma / ids;
    List<int[]> prompts = new ArrayList<>();
    for (int g = 0; g < sp.numGroups(); g++) {
      int sysLen =
          Math.max(
              1,
              (int) Math.round(growth * sys + random.nextGaussian() * Math.sqrt(varPerId * sys)));
      int[] system = randomIds(random, sysLen);
      for (int j = 0; j < sp.promptsPerGroup(); j++) {
        int qLen =
            Math.max(
                1, (int) Math.round(growth * q + random.nextGaussian() * Math.sqrt(varPerId * q)));
        int total = 1 + sysLen + qLen;
        total = (int) Math.max(measured.min(), Math.min(measured.max(), total));
        qLen = Math.max(1, total - 1 - sysLen);
        int[] prompt = new int[1 + sysLen + qLen];
        prompt[0] = BOS;
        System.arraycopy(system, 0, prompt, 1, sysLen);
        int[] question = randomIds(random, qLen);
        System.arraycopy(question, 0, prompt, 1 + sysLen, qLen);
        prompts.add(prompt);
      }
    }
    Collections.shuffle(prompts, new java.util.Random(random.nextLong()));
    return new SharedPrefixWorkload(prompts, sp.outputLen(), ignoreEos);
  }

  private static int[] randomIds(SplittableRandom random, int n) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = random.nextInt(3, 32_000);
    }
    return ids;
  }

  public List<int[]> prompts() {
    return prompts;
  }

  /**
   * The requests of one stage, arriving from {@code startSeconds} (inference-perf's start time, one
   * second after the stage is set up).
   *
   * @param timeoutSeconds the client's timeout: a request still running then is cancelled
   */
  public List<RequestSpec> stage(
      Stage stage, double startSeconds, double timeoutSeconds, SplittableRandom random) {
    int n = (int) (stage.rate() * stage.duration());
    double[] gaps = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      gaps[i] = -Math.log(1 - random.nextDouble()) / stage.rate();
      sum += gaps[i];
    }
    double scale = stage.duration() / sum;
    List<RequestSpec> specs = new ArrayList<>(n);
    double t = startSeconds;
    for (int k = 0; k < n; k++) {
      t += gaps[k] * scale;
      double timeout = timeoutSeconds + random.nextDouble();
      specs.add(
          RequestSpec.builder()
              .requestId("s" + stage.index() + "-" + k)
              .promptTokenIds(prompts.get(k % prompts.size()))
              .maxTokens(outputLen)
              .ignoreEos(ignoreEos)
              .arrival(Duration.ofNanos(Math.round(t * 1e9)))
              .cancelAfter(Duration.ofNanos(Math.round(timeout * 1e9)))
              .build());
    }
    return specs;
  }
}
