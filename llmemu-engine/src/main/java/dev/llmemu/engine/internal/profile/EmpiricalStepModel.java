package dev.llmemu.engine.internal.profile;

import dev.llmemu.engine.StepBatch;
import dev.llmemu.engine.StepLatencyModel;
import java.util.List;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Step latency drawn from measured whole-step samples with the {@link ShepardOracle}: LLM-Emu's
 * method, over any set of {@link StepDimension}s. Three tables as in LLM-Emu: steps that admitted a
 * new request ({@code prefill}), the other steps ({@code decode}), and all steps ({@code all}, the
 * fallback).
 */
public final class EmpiricalStepModel implements StepLatencyModel {
  private final List<StepDimension> dims;
  private final double[] widths;
  private final boolean[] snap;
  private final @Nullable ShepardOracle prefill;
  private final @Nullable ShepardOracle decode;
  private final @Nullable ShepardOracle all;
  private final long stepOverheadNanos;
  private final String description;
  private final ThreadLocal<double[]> scratch;

  /**
   * @param widths bucket width per dimension (1 for exact keys)
   * @param snap per dimension: map a query value to its bucket centre {@code floor(x/w)*w + w/2}
   *     before the lookup (LLM-Emu does not; llmemu's own tables of continuous dimensions do)
   * @param stepOverheadNanos added to every sample (0 for whole-step samples)
   */
  public EmpiricalStepModel(
      List<StepDimension> dims,
      double[] widths,
      boolean[] snap,
      @Nullable ShepardOracle prefill,
      @Nullable ShepardOracle decode,
      @Nullable ShepardOracle all,
      long stepOverheadNanos,
      String description) {
    this.dims = List.copyOf(dims);
    this.widths = widths.clone();
    this.snap = snap.clone();
    this.prefill = usable(prefill);
    this.decode = usable(decode);
    this.all = usable(all);
    if (this.prefill == null && this.decode == null && this.all == null) {
      throw new IllegalArgumentException("an empirical profile needs at least one non-empty table");
    }
    this.stepOverheadNanos = stepOverheadNanos;
    this.description = description;
    int n = this.dims.size();
    this.scratch = ThreadLocal.withInitial(() -> new double[n]);
  }

  private static @Nullable ShepardOracle usable(@Nullable ShepardOracle o) {
    return o == null || o.isEmpty() ? null : o;
  }

  @Override
  public long stepNanos(StepBatch batch, RandomGenerator random) {
    if (batch.totalTokens() <= 0) {
      return 0;
    }
    boolean hasPrefill = batch.numNewRequests() > 0;
    ShepardOracle table = hasPrefill ? prefill : decode;
    if (table == null) {
      table = all != null ? all : (prefill != null ? prefill : decode);
    }
    double[] q = scratch.get();
    for (int i = 0; i < q.length; i++) {
      double v = dims.get(i).value(batch);
      if (snap[i] && widths[i] > 1) {
        v = Math.floor(v / widths[i]) * widths[i] + widths[i] / 2;
      }
      q[i] = v;
    }
    double micros = table.sample(q, random);
    return Math.max(1, Math.round(micros * 1000.0)) + stepOverheadNanos;
  }

  @Override
  public String toString() {
    return description;
  }
}
