package dev.llmemu.engine.internal.profile;

import dev.llmemu.engine.StepBatch;
import dev.llmemu.engine.StepLatencyModel;
import java.util.random.RandomGenerator;

/**
 * A step latency composed per batch from kernel tables (a "kernel" profile, built by llmemu's
 * profile builder from real GPU kernel timings):
 *
 * <pre>
 * gpu    = tokenOps(padded tokens) + lmHead(requests)
 *        + decodeAttention(decodes, mean KV length) + Σ prefillAttention(chunk, cached context)
 * period = gpu + jitter + stepOverhead + perRequestOverhead × requests
 *        [+ prefillStepOverhead if the step carries a prefill chunk]
 * </pre>
 *
 * Token counts up to the largest CUDA-graph size are padded to the next graph size, as vLLM does.
 * Jitter is Gaussian with the measured standard deviation of the token ops and a relative standard
 * deviation for attention, clamped to ±3σ. The overhead terms are the exposed (non-overlapped) CPU
 * time of vLLM's engine loop under async scheduling. All tables are expanded at load: a step costs
 * a few table lookups and one Gaussian draw, and allocates nothing.
 */
public final class KernelStepModel implements StepLatencyModel {
  private final double[] tokenGrid;
  private final double[] tokenMean;
  private final double[] tokenStd;
  private final float[] denseMean;
  private final float[] denseVar;
  private final double[] lmGrid;
  private final double[] lmMean;
  private final double[] decodeBatch;
  private final double[] decodeKv;
  private final double[][] decodeMean;
  private final double[] prefillQuery;
  private final double[] prefillContext;
  private final double[][] prefillMean;
  private final double attentionFixed;
  private final double attentionRelStd;
  private final double stepOverhead;
  private final double perRequestOverhead;
  private final double prefillStepOverhead;
  private final String description;

  /** Tables of a kernel profile; times in microseconds. */
  public record Tables(
      int[] cudaGraphSizes,
      double[] tokenGrid,
      double[] tokenMean,
      double[] tokenStd,
      double[] lmGrid,
      double[] lmMean,
      double[] decodeBatch,
      double[] decodeKv,
      double[][] decodeMean,
      double[] prefillQuery,
      double[] prefillContext,
      double[][] prefillMean,
      double attentionFixed,
      double attentionRelStd,
      double stepOverhead,
      double perRequestOverhead,
      double prefillStepOverhead) {}

  public KernelStepModel(Tables t, String description) {
    this.tokenGrid = t.tokenGrid().clone();
    this.tokenMean = t.tokenMean().clone();
    this.tokenStd = t.tokenStd().clone();
    this.lmGrid = t.lmGrid().clone();
    this.lmMean = t.lmMean().clone();
    this.decodeBatch = t.decodeBatch().clone();
    this.decodeKv = t.decodeKv().clone();
    this.decodeMean = deepClone(t.decodeMean());
    this.prefillQuery = t.prefillQuery().clone();
    this.prefillContext = t.prefillContext().clone();
    this.prefillMean = deepClone(t.prefillMean());
    this.attentionFixed = t.attentionFixed();
    this.attentionRelStd = t.attentionRelStd();
    this.stepOverhead = t.stepOverhead();
    this.perRequestOverhead = t.perRequestOverhead();
    this.prefillStepOverhead = t.prefillStepOverhead();
    this.description = description;
    int max = (int) tokenGrid[tokenGrid.length - 1];
    int[] graphs = t.cudaGraphSizes();
    int maxGraph = graphs.length == 0 ? 0 : graphs[graphs.length - 1];
    denseMean = new float[max + 1];
    denseVar = new float[max + 1];
    int g = 0;
    for (int tokens = 1; tokens <= max; tokens++) {
      int padded = tokens;
      if (tokens <= maxGraph) {
        while (graphs[g] < tokens) {
          g++;
        }
        padded = graphs[g];
      }
      denseMean[tokens] = (float) Grid.interp(tokenGrid, tokenMean, padded);
      double sd = Grid.interp(tokenGrid, tokenStd, padded);
      denseVar[tokens] = (float) (sd * sd);
    }
  }

  private static double[][] deepClone(double[][] v) {
    double[][] out = new double[v.length][];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i].clone();
    }
    return out;
  }

  @Override
  public long stepNanos(StepBatch batch, RandomGenerator random) {
    int tokens = batch.totalTokens();
    if (tokens <= 0) {
      return 0;
    }
    double mean;
    double variance;
    if (tokens < denseMean.length) {
      mean = denseMean[tokens];
      variance = denseVar[tokens];
    } else {
      mean = Grid.interp(tokenGrid, tokenMean, tokens);
      double sd = Grid.interp(tokenGrid, tokenStd, tokens);
      variance = sd * sd;
    }
    int requests = batch.numRequests();
    mean += Grid.interp(lmGrid, lmMean, requests);
    double attention = attentionMicros(batch);
    mean += attention;
    double jitterSd = attentionRelStd * attention;
    variance += jitterSd * jitterSd;
    double z = random.nextGaussian();
    z = Math.max(-3, Math.min(3, z));
    double gpu = Math.max(mean * 0.5, mean + z * Math.sqrt(variance));
    double micros = gpu + overheadMicros(batch);
    return Math.max(1, Math.round(micros * 1000.0));
  }

  /** Mean attention time of the step (all layers), in microseconds. */
  public double attentionMicros(StepBatch batch) {
    double attention = 0;
    int kernels = 0;
    int decodes = batch.numDecodes();
    if (decodes > 0) {
      double meanKv = (double) batch.decodeContextTokens() / decodes;
      attention += Grid.interp2(decodeBatch, decodeKv, decodeMean, decodes, meanKv);
      kernels++;
    }
    int prefills = batch.numPrefills();
    for (int i = 0; i < prefills; i++) {
      attention +=
          Grid.interp2(
              prefillQuery,
              prefillContext,
              prefillMean,
              batch.prefillChunkTokens(i),
              batch.prefillContextTokens(i));
      kernels++;
    }
    if (kernels > 1) {
      // vLLM runs all of a step's attention in one varlen kernel per layer: one launch floor.
      attention = Math.max(attentionFixed, attention - (kernels - 1) * attentionFixed);
    }
    return attention;
  }

  /** {@link #meanMicros} in nanoseconds, rounded as {@link #stepNanos} rounds. */
  @Override
  public long meanNanos(StepBatch batch) {
    if (batch.totalTokens() <= 0) {
      return 0;
    }
    return Math.max(1, Math.round(meanMicros(batch) * 1000.0));
  }

  /** Mean step period without jitter, in microseconds: for checks and static-batch estimates. */
  public double meanMicros(StepBatch batch) {
    int tokens = batch.totalTokens();
    if (tokens <= 0) {
      return 0;
    }
    double mean =
        tokens < denseMean.length ? denseMean[tokens] : Grid.interp(tokenGrid, tokenMean, tokens);
    int requests = batch.numRequests();
    return mean
        + Grid.interp(lmGrid, lmMean, requests)
        + attentionMicros(batch)
        + overheadMicros(batch);
  }

  /** The exposed CPU time of the step, µs. */
  private double overheadMicros(StepBatch batch) {
    double o = stepOverhead + perRequestOverhead * batch.numRequests();
    return batch.numPrefills() > 0 ? o + prefillStepOverhead : o;
  }

  @Override
  public String toString() {
    return description;
  }
}
