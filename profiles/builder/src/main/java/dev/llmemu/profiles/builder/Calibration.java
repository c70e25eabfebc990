package dev.llmemu.profiles.builder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * per scheduled request per step ({@code b}) and the per-request front-end latency ({@code F}) — on
 * the four Llama-2-7B H100 calibration runs, using only their stages that were not overloaded.
 * Nothing model-specific is fitted: the same three numbers go into every bundled profile.
 *
 * <p>Method: replay every stage in virtual time with the kernel-composed profile; fit {@code a, b ≥
 * 0} by non-negative least squares on the relative error of the mean TPOT (the step period a
 * decoding request sees, {@code a + b × batch size} on top of the GPU time), re-simulate and repeat
 * until stable (the batch sizes move with the period); then fit {@code F ≥ 0} on the relative error
 * of the mean TTFT.
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
          n.path("frontend_us").asDouble());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Fits the overheads on the given experiment folders (the calibration runs). */
  public static Fit fit(KernelData h100, List<Path> runs, long seed) {
    List<InferencePerfExperiment> exps = runs.stream().map(InferencePerfExperiment::read).toList();
    double[] terms = new double[3];
    for (int iteration = 0; iteration < 10; iteration++) {
      List<double[]> rows = new ArrayList<>();
      Overheads current = new Overheads(terms[0], terms[1], terms[2], 0);
      for (InferencePerfExperiment exp : exps) {
        HardwareProfile p = ExperimentProfiles.build(exp, h100, current);
        InferencePerfReplay.Run run = InferencePerfReplay.simulate(exp, p, seed);
        for (StageComparison c : InferencePerfReplay.compare(exp, run)) {
          if (c.overloaded()) {
            continue;
          }
          double[] x = InferencePerfReplay.stepMix(run, c.stage());
          double real = c.real().tpot() * 1e6;
          double gpuOnly = c.emulated().tpot() * 1e6 - terms[0] - terms[1] * x[0] - terms[2] * x[1];
          // y = what the terms must explain; regressors 1, batch size, share of prefill steps.
          rows.add(new double[] {real, real - gpuOnly, 1, x[0], x[1]});
        }
      }
      double[] fit = nnls(rows);
      boolean stable =
          Math.abs(fit[0] - terms[0]) < 1
              && Math.abs(fit[1] - terms[1]) < 0.02
              && Math.abs(fit[2] - terms[2]) < 5;
      terms = fit;
      if (stable) {
        break;
      }
    }
    double num = 0;
    double den = 0;
    Overheads steps = new Overheads(round(terms[0]), round3(terms[1]), round(terms[2]), 0);
    for (InferencePerfExperiment exp : exps) {
      HardwareProfile p = ExperimentProfiles.build(exp, h100, steps);
      for (StageComparison c : InferencePerfReplay.compare(exp, p, seed)) {
        if (!c.overloaded()) {
          double r = c.real().ttftMean() * 1e6;
          double e = c.emulated().ttftMean() * 1e6;
          num += (r - e) / (r * r);
          den += 1 / (r * r);
        }
      }
    }
    double f = Math.max(0, num / den);
    Overheads fitted =
        new Overheads(steps.stepUs(), steps.perRequestUs(), steps.prefillStepUs(), round(f));
    List<StageComparison> all = new ArrayList<>();
    for (InferencePerfExperiment exp : exps) {
      all.addAll(
          InferencePerfReplay.compare(exp, ExperimentProfiles.build(exp, h100, fitted), seed));
    }
    return new Fit(fitted, all, exps.stream().map(InferencePerfExperiment::name).toList());
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
    root.put(
        "method",
        "non-negative least squares of step_us + per_request_us x batch size + prefill_step_us x"
            + " share of prefill-carrying steps on the relative error of mean TPOT, iterated with"
            + " re-simulation; then frontend_us on the relative error of"
            + " mean TTFT; non-overloaded stages only; GPU time from the kernel-composed"
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
        "step %.1f us + %.3f us per request + %.1f us per prefill step; front end %.1f us",
        o.stepUs(),
        o.perRequestUs(),
        o.prefillStepUs(),
        o.frontendUs());
  }
}
