package dev.llmemu.profiles.builder;

import dev.llmemu.engine.internal.profile.KernelStepModel;
import dev.llmemu.engine.internal.profile.ModelGeometry;
import java.util.TreeSet;

/**
 * Composes the GPU time of one vLLM engine step from kernel measurements, for a dense decoder model
 * at a tensor-parallel size (Vidur's composition, with vLLM's own kernels):
 *
 * <ul>
 *   <li>per layer, at the step's (CUDA-graph padded) token count: QKV, output, gate/up and down
 *       projection GEMMs (aiconfigurator, bf16, weights split by TP); two RMSNorms, rotary
 *       embedding and SiLU-and-mul (Vidur, scaled by element count); q/k norms for Qwen3; two
 *       all-reduces of the hidden states with TP &gt; 1 (vLLM's custom all-reduce);
 *   <li>once: embedding lookup and final norm; the LM head GEMM over one token per request;
 *   <li>attention: decode attention from the decode batch and its mean KV length; prefill attention
 *       per chunk from its length and cached context (FLOP-scaled from full prefills).
 * </ul>
 *
 * Jitter comes from Vidur's measured std of each op (layers independent). The CPU terms are not
 * here: they are calibrated separately ({@link Calibration}).
 */
public final class StepComposer {
  private final KernelData data;
  private final Aiconfigurator k;
  private final VidurOps v;
  private final ModelGeometry m;
  private final int tp;
  private final int headsPerGpu;
  private final int kvHeadsPerGpu;
  private final int[] graphSizes;

  public StepComposer(
      KernelData data, ModelGeometry model, int tp, int maxNumSeqs, int maxBatched) {
    this.data = data;
    this.k = data.kernels();
    this.m = model;
    this.tp = tp;
    this.v = data.vidurFor(model.hiddenSize());
    this.headsPerGpu = model.numHeads() / tp;
    this.kvHeadsPerGpu = model.kvHeadsPerGpu(tp);
    this.graphSizes = cudaGraphSizes(maxNumSeqs, maxBatched);
  }

  /**
   * vLLM's default CUDA-graph capture sizes: 1, 2, 4, then steps of 8 to 256, then steps of 16, up
   * to min(2 × max_num_seqs, 512), capped at max_num_batched_tokens (docs/vllm-behaviour.md §1.9).
   */
  public static int[] cudaGraphSizes(int maxNumSeqs, int maxBatched) {
    int max = Math.min(Math.min(2 * maxNumSeqs, 512), maxBatched);
    TreeSet<Integer> s = new TreeSet<>();
    for (int x : new int[] {1, 2, 4}) {
      s.add(x);
    }
    for (int x = 8; x < 256; x += 8) {
      s.add(x);
    }
    for (int x = 256; x <= 512; x += 16) {
      s.add(x);
    }
    return s.stream().filter(x -> x <= max).mapToInt(Integer::intValue).toArray();
  }

  public int[] graphSizes() {
    return graphSizes.clone();
  }

  public String vidurReference() {
    return v.model();
  }

  private int maxGraph() {
    return graphSizes.length == 0 ? 0 : graphSizes[graphSizes.length - 1];
  }

  /** Per-layer GEMM times at {@code t} tokens: qkv, o, gate_up, down (µs). */
  public double[] layerGemms(double t) {
    int h = m.hiddenSize();
    int d = m.headDim();
    double qkvOut = (double) (headsPerGpu + 2 * kvHeadsPerGpu) * d;
    return new double[] {
      k.gemmMicros(t, qkvOut, h),
      k.gemmMicros(t, h, (double) headsPerGpu * d),
      k.gemmMicros(t, 2.0 * m.intermediateSize() / tp, h),
      k.gemmMicros(t, h, (double) m.intermediateSize() / tp)
    };
  }

  private double normTokens(double t) {
    return t * m.hiddenSize() / v.hidden();
  }

  private double ropeTokens(double t) {
    double target = (double) (headsPerGpu + kvHeadsPerGpu) * m.headDim();
    double ref = (double) (v.heads() + v.kvHeads()) * v.hidden() / v.heads();
    return t * target / ref;
  }

  private double actTokens(double t) {
    return t * ((double) m.intermediateSize() / tp) / v.intermediate();
  }

  private double allReduce(double t) {
    return tp == 1 ? 0 : k.allReduceMicros(tp, t * m.hiddenSize() * 2.0, t <= maxGraph());
  }

  /** Token-proportional GPU time of a step of {@code t} tokens (all layers), µs. */
  public double tokenOpsMicros(double t) {
    double[] g = layerGemms(t);
    double layer = g[0] + g[1] + g[2] + g[3];
    layer += v.medianMicros(VidurOps.Op.INPUT_LAYERNORM, normTokens(t));
    layer += v.medianMicros(VidurOps.Op.POST_ATTENTION_LAYERNORM, normTokens(t));
    layer += v.medianMicros(VidurOps.Op.ATTN_ROPE, ropeTokens(t));
    layer += v.medianMicros(VidurOps.Op.MLP_ACT, actTokens(t));
    if (m.qkNorm()) {
      // Per-head RMSNorm of q and k: (heads + kv heads) x head_dim elements per token.
      double elements = (double) (headsPerGpu + kvHeadsPerGpu) * m.headDim();
      layer += v.medianMicros(VidurOps.Op.INPUT_LAYERNORM, t * elements / v.hidden());
    }
    layer += 2 * allReduce(t);
    double once =
        v.medianMicros(VidurOps.Op.EMB, normTokens(t))
            + v.medianMicros(VidurOps.Op.INPUT_LAYERNORM, normTokens(t))
            + allReduce(t);
    return m.numLayers() * layer + once;
  }

  /**
   * Standard deviation of the token-proportional time (measured per-op jitter, layers independent).
   */
  public double tokenOpsStdMicros(double t) {
    double[] g = layerGemms(t);
    double var = 0;
    var += sq(g[0] * v.relativeStd(VidurOps.Op.ATTN_PRE_PROJ, t));
    var += sq(g[1] * v.relativeStd(VidurOps.Op.ATTN_POST_PROJ, t));
    var += sq(g[2] * v.relativeStd(VidurOps.Op.MLP_UP_PROJ, t));
    var += sq(g[3] * v.relativeStd(VidurOps.Op.MLP_DOWN_PROJ, t));
    var += sq(v.stdMicros(VidurOps.Op.INPUT_LAYERNORM, normTokens(t)));
    var += sq(v.stdMicros(VidurOps.Op.POST_ATTENTION_LAYERNORM, normTokens(t)));
    var += sq(v.stdMicros(VidurOps.Op.ATTN_ROPE, ropeTokens(t)));
    var += sq(v.stdMicros(VidurOps.Op.MLP_ACT, actTokens(t)));
    double once = sq(v.stdMicros(VidurOps.Op.EMB, normTokens(t)));
    return Math.sqrt(m.numLayers() * var + once);
  }

  private static double sq(double x) {
    return x * x;
  }

  /** The LM head over one token per scheduled request, µs. */
  public double lmHeadMicros(double requests) {
    return k.gemmMicros(requests, (double) m.vocabSize() / tp, m.hiddenSize());
  }

  /** Decode attention of {@code batch} requests with mean KV length {@code kv}, all layers, µs. */
  public double decodeAttentionMicros(double batch, double kv) {
    return m.numLayers() * data.decodeAttentionMicros(headsPerGpu, kvHeadsPerGpu, batch, kv);
  }

  /**
   * Prefill attention of a chunk of {@code query} tokens after {@code context} cached tokens, all
   * layers, µs: the full causal prefill of {@code query + context} tokens scaled by the share of
   * its FLOPs the chunk computes, {@code (q·c + q²/2) / ((q+c)²/2)}, and never below a prefill of
   * the chunk alone.
   */
  public double prefillAttentionMicros(double query, double context) {
    double n = query + context;
    double full = k.contextAttentionMicros(headsPerGpu, kvHeadsPerGpu, n);
    double share = (query * context + query * query / 2) / (n * n / 2);
    double alone = k.contextAttentionMicros(headsPerGpu, kvHeadsPerGpu, query);
    return m.numLayers() * Math.max(alone, full * share);
  }

  /** The launch floor of one attention kernel call per layer (a one-token prefill), all layers. */
  public double attentionFixedMicros() {
    return m.numLayers() * k.contextAttentionMicros(headsPerGpu, kvHeadsPerGpu, 1);
  }

  /** The tables of a kernel profile, with the given CPU overhead terms. */
  public KernelStepModel.Tables tables(
      int maxBatched, int maxNumSeqs, int maxModelLen, Overheads overheads) {
    TreeSet<Integer> tok = new TreeSet<>();
    for (int g : graphSizes) {
      tok.add(g);
    }
    int top = Math.max(16_384, maxBatched);
    for (int x = 32; x <= 2048; x += 32) {
      tok.add(x);
    }
    for (int x = 2048; x <= 8192; x += 128) {
      tok.add(x);
    }
    for (int x = 8192; x <= top; x += 512) {
      tok.add(x);
    }
    tok.add(1);
    tok.add(maxBatched);
    tok.add(top);
    double[] tokens = tok.stream().mapToDouble(Integer::doubleValue).toArray();
    double[] mean = new double[tokens.length];
    double[] std = new double[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      mean[i] = round(tokenOpsMicros(tokens[i]));
      std[i] = round(tokenOpsStdMicros(tokens[i]));
    }
    TreeSet<Integer> seqs = new TreeSet<>();
    for (int x = 1; x <= 4096; x *= 2) {
      seqs.add(x);
    }
    seqs.add(maxNumSeqs);
    double[] lm = seqs.stream().mapToDouble(Integer::doubleValue).toArray();
    double[] lmMean = new double[lm.length];
    for (int i = 0; i < lm.length; i++) {
      lmMean[i] = round(lmHeadMicros(lm[i]));
    }
    TreeSet<Integer> batches = new TreeSet<>();
    for (int x :
        new int[] {
          1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048
        }) {
      batches.add(x);
    }
    batches.add(maxNumSeqs);
    double[] decB = batches.stream().mapToDouble(Integer::doubleValue).toArray();
    TreeSet<Integer> kvs = new TreeSet<>();
    for (int x :
        new int[] {
          0, 16, 32, 64, 128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288,
          16384, 24576, 32768, 49152, 65536, 98304, 131072
        }) {
      kvs.add(x);
    }
    kvs.add(maxModelLen);
    double[] decKv = kvs.stream().mapToDouble(Integer::doubleValue).toArray();
    double[][] dec = new double[decB.length][decKv.length];
    for (int i = 0; i < decB.length; i++) {
      for (int j = 0; j < decKv.length; j++) {
        dec[i][j] = round(decodeAttentionMicros(decB[i], decKv[j]));
      }
    }
    double[] preQ = {
      1, 8, 16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192,
      12288, 16384
    };
    double[] preC = {
      0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072
    };
    double[][] pre = new double[preQ.length][preC.length];
    for (int i = 0; i < preQ.length; i++) {
      for (int j = 0; j < preC.length; j++) {
        pre[i][j] = round(prefillAttentionMicros(preQ[i], preC[j]));
      }
    }
    return new KernelStepModel.Tables(
        graphSizes,
        tokens,
        mean,
        std,
        lm,
        lmMean,
        decB,
        decKv,
        dec,
        preQ,
        preC,
        pre,
        round(attentionFixedMicros()),
        Math.round(data.attentionRelStd() * 10_000) / 10_000.0,
        overheads.stepUs(),
        overheads.perRequestUs(),
        overheads.prefillStepUs());
  }

  static double round(double us) {
    return Math.round(us * 100) / 100.0;
  }
}
