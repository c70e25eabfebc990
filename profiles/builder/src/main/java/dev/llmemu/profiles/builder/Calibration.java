package dev.llmemu.profiles.builder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.StepStats;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.profiles.fidelity.InferencePerfExperiment;
import dev.llmemu.profiles.fidelity.InferencePerfReplay;
import dev.llmemu.profiles.fidelity.StageComparison;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Calibrates the only terms fitted on real serving runs — exposed CPU time per step ({@code a}),
 * per scheduled request per step ({@code b}), per prefill-carrying step, the per-request front-end
 * latency ({@code F}) and the front end's cost per step output ({@code c}) — on the four Llama-2-7B
 * H100 calibration runs, using only their stages that were not overloaded. Nothing model-specific
 * is fitted: the same numbers go into every bundled profile.
 *
 * <p>Method: replay every stage in virtual time with the kernel-composed profile; fit {@code a, b ≥
 * 0} (and the prefill-step term) on the relative error of the mean TPOT (the step period a decoding
 * request sees, {@code a + b × batch size} on top of the GPU time) by non-negative least squares
 * with the measured response of the re-simulated TPOT to each term (the batch sizes move with the
 * period); then fit {@code F, c ≥ 0} on the relative error of the mean TTFT. Neither front-end term
 * changes the engine's steps ({@code F} shifts every admission alike, {@code c} only delays when
 * outputs reach clients), so one replay per run with both at zero gives the TTFT of every candidate
 * exactly ({@link #deliveryDelays}).
 */
public final class Calibration {
  /** Where the fitted terms are kept (committed; read by the catalog generator). */
  public static final String RESOURCE = "/dev/llmemu/profiles/builder/calibration.json";

  private Calibration() {}

  /** The result of a fit. */
  public record Fit(Overheads overheads, List<StageComparison> stages, List<String> runs) {}

  /** The committed calibration, or no overheads if there is none yet. */
  public static Overheads load() {
    try (InputStream in = Calibration.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return Overheads.NONE;
      }
      JsonNode n = ProfileBuilder.JSON.readTree(in).path("overheads");
      return new Overheads(
          n.path("step_us").asDouble(),
          n.path("per_request_us").asDouble(),
          n.path("prefill_step_us").asDouble(),
          n.path("frontend_us").asDouble(),
          n.path("frontend_per_output_us").asDouble());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * How far each engine-side term is moved to measure its effect on TPOT (µs): large enough to
   * stand out of the replays' own variation, small enough to stay in the linear range.
   */
  private static final double[] BUMP = {100, 2, 300};

  /** Fits the overheads on the given experiment folders (the calibration runs). */
  public static Fit fit(KernelData h100, List<Path> runs, long seed) {
    List<InferencePerfExperiment> exps = runs.stream().map(InferencePerfExperiment::read).toList();
    // The step terms a, b, p >= 0 minimise the squared relative error of the re-simulated mean
    // TPOT. Near saturation a stage's batch grows with the step period (more requests are in
    // flight when each takes longer), so TPOT responds to a term by more than the term itself: at
    // general stage 1, 1 us per request per step adds ~2.5 us per request to the period. The
    // response is therefore measured, not assumed: a finite-difference Jacobian of the replayed
    // TPOT, then chord iterations (non-negative least squares on the linearised problem, re-
    // simulating the new terms) until the terms stop moving.
    double[] terms = new double[3];
    double[][] base = meanTpots(exps, h100, terms, seed);
    int n = base[0].length;
    double[][] jacobian = new double[n][3];
    for (int j = 0; j < 3; j++) {
      double[] bumped = terms.clone();
      bumped[j] += BUMP[j];
      double[][] b = meanTpots(exps, h100, bumped, seed);
      for (int i = 0; i < n; i++) {
        jacobian[i][j] = (b[1][i] - base[1][i]) / BUMP[j];
      }
    }
    for (int iteration = 0; iteration < 8; iteration++) {
      List<double[]> rows = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        double y = base[0][i] - base[1][i];
        for (int j = 0; j < 3; j++) {
          y += jacobian[i][j] * terms[j];
        }
        rows.add(new double[] {base[0][i], y, jacobian[i][0], jacobian[i][1], jacobian[i][2]});
      }
      double[] fit = nnls(rows);
      boolean stable =
          Math.abs(fit[0] - terms[0]) < 0.5
              && Math.abs(fit[1] - terms[1]) < 0.005
              && Math.abs(fit[2] - terms[2]) < 2;
      terms = fit;
      if (stable) {
        break;
      }
      base = meanTpots(exps, h100, terms, seed);
    }
    Overheads steps = new Overheads(round(terms[0]), round3(terms[1]), round(terms[2]), 0, 0);
    List<FrontendSample> samples = new ArrayList<>();
    for (InferencePerfExperiment exp : exps) {
      HardwareProfile p = ExperimentProfiles.build(exp, h100, steps);
      InferencePerfReplay.Run run = InferencePerfReplay.simulate(exp, p, seed);
      for (StageComparison c : InferencePerfReplay.compare(exp, run)) {
        if (!c.overloaded()) {
          samples.add(FrontendSample.of(run, c.stage(), c.real().ttftMean() * 1e6));
        }
      }
    }
    double[] front = fitFrontend(samples);
    Overheads fitted = steps.withFrontend(round(front[0]), round(front[1]));
    List<StageComparison> all = new ArrayList<>();
    for (InferencePerfExperiment exp : exps) {
      all.addAll(
          InferencePerfReplay.compare(exp, ExperimentProfiles.build(exp, h100, fitted), seed));
    }
    return new Fit(fitted, all, exps.stream().map(InferencePerfExperiment::name).toList());
  }

  /** {real, emulated} mean TPOT (µs) of every non-overloaded stage, with the given step terms. */
  private static double[][] meanTpots(
      List<InferencePerfExperiment> exps, KernelData h100, double[] terms, long seed) {
    Overheads o = new Overheads(terms[0], terms[1], terms[2], 0, 0);
    List<double[]> out = new ArrayList<>();
    for (InferencePerfExperiment exp : exps) {
      for (StageComparison c :
          InferencePerfReplay.compare(exp, ExperimentProfiles.build(exp, h100, o), seed)) {
        if (!c.overloaded()) {
          out.add(new double[] {c.real().tpot() * 1e6, c.emulated().tpot() * 1e6});
        }
      }
    }
    double[][] r = new double[2][out.size()];
    for (int i = 0; i < out.size(); i++) {
      r[0][i] = out.get(i)[0];
      r[1][i] = out.get(i)[1];
    }
    return r;
  }

  /**
   * When each step's outputs reach their clients, as the engine delivers them with a front-end cost
   * of {@code perOutputUs} per output (µs after the step's end, one entry per step): vLLM's
   * API-server loop takes the outputs of a step once it is done with the previous step's, and
   * handles them one after another. Mirrors {@code EngineCore}'s delivery (a test checks it).
   */
  public static double[] deliveryDelays(List<StepStats> steps, double perOutputUs) {
    double[] delay = new double[steps.size()];
    double free = Double.NEGATIVE_INFINITY;
    long cost = Math.round(perOutputUs * 1000);
    for (int i = 0; i < delay.length; i++) {
      StepStats s = steps.get(i);
      if (cost == 0 || s.generatedTokens() == 0) {
        continue;
      }
      double start = Math.max(s.endNanos(), free);
      free = start + (double) cost * s.generatedTokens();
      delay[i] = (free - s.endNanos()) / 1000;
    }
    return delay;
  }

  /**
   * One stage's requests in a replay with no front-end terms: arrival-to-first-token times (µs),
   * the step each first token came from, and the real mean TTFT (µs).
   */
  record FrontendSample(
      double realTtftUs, double[] engineTtftUs, int[] firstTokenStep, List<StepStats> steps) {
    static FrontendSample of(InferencePerfReplay.Run run, int stage, double realTtftUs) {
      List<StepStats> steps = run.result().steps();
      long[] ends = new long[steps.size()];
      for (int i = 0; i < ends.length; i++) {
        ends[i] = steps.get(i).endNanos();
      }
      String prefix = "s" + stage + "-";
      List<RequestResult> ok =
          run.result().requests().stream()
              .filter(r -> r.requestId().startsWith(prefix) && r.firstTokenNanos() >= 0)
              .filter(r -> r.finishReason() != dev.llmemu.engine.FinishReason.ABORT)
              .toList();
      double[] ttft = new double[ok.size()];
      int[] step = new int[ok.size()];
      for (int i = 0; i < ok.size(); i++) {
        RequestResult r = ok.get(i);
        ttft[i] = (r.firstTokenNanos() - r.arrivalNanos()) / 1e3;
        step[i] = stepEndingAt(steps, ends, r.firstTokenNanos());
      }
      return new FrontendSample(realTtftUs, ttft, step, steps);
    }

    /** Mean TTFT (µs) with a front-end cost per output and no per-request front-end latency. */
    double meanTtftUs(double perOutputUs) {
      double[] delay = deliveryDelays(steps, perOutputUs);
      double sum = 0;
      for (int i = 0; i < engineTtftUs.length; i++) {
        sum += engineTtftUs[i] + delay[firstTokenStep[i]];
      }
      return sum / engineTtftUs.length;
    }
  }

  /** The step that produced outputs at {@code end} (the last one if several ended then). */
  private static int stepEndingAt(List<StepStats> steps, long[] ends, long end) {
    int i = java.util.Arrays.binarySearch(ends, end);
    if (i < 0) {
      throw new IllegalStateException("no step ended at " + end);
    }
    while (i + 1 < ends.length && ends[i + 1] == end) {
      i++;
    }
    while (i > 0 && ends[i - 1] == end && steps.get(i).generatedTokens() == 0) {
      i--;
    }
    return i;
  }

  /**
   * Fits {@code F, c ≥ 0} (µs) on the relative error of mean TTFT: for each {@code c} the best
   * {@code F} is closed-form; {@code c} is searched on a 1 µs grid up to 1 ms, then refined.
   */
  static double[] fitFrontend(List<FrontendSample> samples) {
    double bestC = 0;
    double bestErr = Double.POSITIVE_INFINITY;
    for (double c = 0; c <= 1000; c += 1) {
      double e = frontendError(samples, c)[1];
      if (e < bestErr) {
        bestErr = e;
        bestC = c;
      }
    }
    double lo = Math.max(0, bestC - 1);
    double hi = bestC + 1;
    for (int i = 0; i < 60; i++) {
      double m1 = lo + (hi - lo) / 3;
      double m2 = hi - (hi - lo) / 3;
      if (frontendError(samples, m1)[1] <= frontendError(samples, m2)[1]) {
        hi = m2;
      } else {
        lo = m1;
      }
    }
    double c = (lo + hi) / 2;
    double[] fe = frontendError(samples, c);
    if (fe[1] > bestErr) {
      c = bestC;
      fe = frontendError(samples, c);
    }
    return new double[] {fe[0], c};
  }

  /** {F, weighted squared relative error} for a front-end cost per output {@code c}. */
  private static double[] frontendError(List<FrontendSample> samples, double c) {
    double num = 0;
    double den = 0;
    double[] emulated = new double[samples.size()];
    for (int i = 0; i < emulated.length; i++) {
      FrontendSample s = samples.get(i);
      emulated[i] = s.meanTtftUs(c);
      double w = 1 / (s.realTtftUs() * s.realTtftUs());
      num += w * (s.realTtftUs() - emulated[i]);
      den += w;
    }
    double f = Math.max(0, num / den);
    double err = 0;
    for (int i = 0; i < emulated.length; i++) {
      double r = samples.get(i).realTtftUs();
      err += Math.pow((r - emulated[i] - f) / r, 2);
    }
    return new double[] {f, err};
  }

  /**
   * Non-negative least squares of {@code y ≈ Σ β_j x_j} with weights {@code 1/real²} (relative
   * errors), by trying every set of active terms; rows are {@code {real, y, x_0, x_1, ...}}.
   */
  static double[] nnls(List<double[]> rows) {
    int k = rows.get(0).length - 2;
    double[] best = new double[k];
    double bestErr = Double.POSITIVE_INFINITY;
    for (int m = 0; m < 1 << k; m++) {
      int mask = m;
      int[] cols =
          java.util.stream.IntStream.range(0, k).filter(j -> (mask & (1 << j)) != 0).toArray();
      double[] beta = new double[k];
      if (cols.length > 0) {
        double[][] ata = new double[cols.length][cols.length + 1];
        for (double[] r : rows) {
          double w = 1 / (r[0] * r[0]);
          for (int i = 0; i < cols.length; i++) {
            for (int j = 0; j < cols.length; j++) {
              ata[i][j] += w * r[2 + cols[i]] * r[2 + cols[j]];
            }
            ata[i][cols.length] += w * r[2 + cols[i]] * r[1];
          }
        }
        double[] sol = gauss(ata);
        if (sol == null) {
          continue;
        }
        boolean feasible = true;
        for (int i = 0; i < cols.length; i++) {
          if (sol[i] < 0) {
            feasible = false;
          }
          beta[cols[i]] = sol[i];
        }
        if (!feasible) {
          continue;
        }
      }
      double err = 0;
      for (double[] r : rows) {
        double pred = 0;
        for (int j = 0; j < k; j++) {
          pred += beta[j] * r[2 + j];
        }
        err += Math.pow((r[1] - pred) / r[0], 2);
      }
      if (err < bestErr) {
        bestErr = err;
        best = beta;
      }
    }
    return best;
  }

  private static double @org.jspecify.annotations.Nullable [] gauss(double[][] m) {
    int n = m.length;
    for (int c = 0; c < n; c++) {
      int pivot = c;
      for (int r = c + 1; r < n; r++) {
        if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) {
          pivot = r;
        }
      }
      if (Math.abs(m[pivot][c]) < 1e-300) {
        return null;
      }
      double[] t = m[c];
      m[c] = m[pivot];
      m[pivot] = t;
      for (int r = 0; r < n; r++) {
        if (r != c) {
          double f = m[r][c] / m[c][c];
          for (int j = c; j <= n; j++) {
            m[r][j] -= f * m[c][j];
          }
        }
      }
    }
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = m[i][n] / m[i][i];
    }
    return x;
  }

  private static double round(double x) {
    return Math.round(x * 10) / 10.0;
  }

  private static double round3(double x) {
    return Math.round(x * 1000) / 1000.0;
  }

  /** Writes the fit as the committed calibration file. */
  public static void write(Fit fit, Path file) throws IOException {
    ObjectNode root = ProfileBuilder.JSON.createObjectNode();
    root.put(
        "description",
        "CPU-overhead terms of llmemu's kernel profiles, the only values fitted on real serving runs."
            + " Regenerate with the command in docs/profiles.md.");
    ObjectNode o = root.putObject("overheads");
    o.put("step_us", fit.overheads().stepUs());
    o.put("per_request_us", fit.overheads().perRequestUs());
    o.put("prefill_step_us", fit.overheads().prefillStepUs());
    o.put("frontend_us", fit.overheads().frontendUs());
    o.put("frontend_per_output_us", fit.overheads().frontendPerOutputUs());
    root.put(
        "method",
        "non-negative least squares of step_us, per_request_us (x requests per step) and"
            + " prefill_step_us (per prefill-carrying step) on the relative error of re-simulated mean"
            + " TPOT (finite-difference response of the replay, chord iterations); then frontend_us"
            + " and frontend_per_output_us (vLLM's API-server loop handles each step's outputs one"
            + " after another) on the relative error of mean TTFT; non-overloaded stages only; GPU time from the kernel-composed"
            + " h100-llama-2-7b profile with each run's engine settings");
    ArrayNode runs = root.putArray("calibration_runs");
    fit.runs().forEach(r -> runs.add("../shared/data/inference-sim-training/default_args/" + r));
    root.put(
        "data",
        "inference-sim/training@ed5c1d26 default_args (real vLLM ~0.15, Llama-2-7B, 1x H100 SXM 80GB)");
    ArrayNode stages = root.putArray("fit_errors_pct");
    for (StageComparison c : fit.stages()) {
      ObjectNode s = stages.addObject();
      s.put("run", c.experiment());
      s.put("stage", c.stage());
      s.put("overloaded", c.overloaded());
      double[] e = c.errors();
      s.put("ttft_mean", r1(e[0]));
      s.put("tpot", r1(e[4]));
      s.put("e2e_mean", r1(e[6]));
    }
    Files.createDirectories(file.getParent());
    Files.writeString(
        file, ProfileBuilder.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
  }

  private static double r1(double x) {
    return Double.isFinite(x) ? Math.round(x * 10) / 10.0 : 0;
  }

  static String describe(Overheads o) {
    return String.format(
        Locale.ROOT,
        "step %.1f us + %.3f us per request + %.1f us per prefill step; front end %.1f us"
            + " + %.1f us per step output",
        o.stepUs(),
        o.perRequestUs(),
        o.prefillStepUs(),
        o.frontendUs(),
        o.frontendPerOutputUs());
  }
}
