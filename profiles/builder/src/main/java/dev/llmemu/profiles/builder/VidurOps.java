package dev.llmemu.profiles.builder;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-layer op timings profiled by microsoft/vidur ({@code vidur/profiling/compute/<gpu>/<org>/
 * <model>/mlp.csv}, ms per layer): median and standard deviation (the measured run-to-run jitter)
 * of each op by token count, at tensor-parallel size 1. Times returned in microseconds.
 */
public final class VidurOps {
  /** The ops that Vidur times per layer. */
  public enum Op {
    EMB("emb"),
    INPUT_LAYERNORM("input_layernorm"),
    ATTN_PRE_PROJ("attn_pre_proj"),
    ATTN_ROPE("attn_rope"),
    ATTN_POST_PROJ("attn_post_proj"),
    POST_ATTENTION_LAYERNORM("post_attention_layernorm"),
    MLP_UP_PROJ("mlp_up_proj"),
    MLP_ACT("mlp_act"),
    MLP_DOWN_PROJ("mlp_down_proj"),
    ADD("add");

    final String column;

    Op(String column) {
      this.column = column;
    }
  }

  private final String model;
  private final int hidden;
  private final int intermediate;
  private final int heads;
  private final int kvHeads;
  private final double[] tokens;
  private final double[][] median;
  private final double[][] std;

  private VidurOps(Path csv, String model) {
    this.model = model;
    Csv c = Csv.read(csv);
    TreeMap<Double, Integer> rowsByTokens = new TreeMap<>();
    for (int i = 0; i < c.size(); i++) {
      if (c.num(i, "num_tensor_parallel_workers") == 1) {
        // Duplicate token counts exist; keep the first.
        rowsByTokens.putIfAbsent(c.num(i, "num_tokens"), i);
      }
    }
    int first = rowsByTokens.firstEntry().getValue();
    hidden = (int) c.num(first, "n_embd");
    intermediate = (int) c.num(first, "n_expanded_embd");
    heads = (int) c.num(first, "n_head");
    kvHeads = (int) c.num(first, "n_kv_head");
    tokens = new double[rowsByTokens.size()];
    median = new double[Op.values().length][tokens.length];
    std = new double[Op.values().length][tokens.length];
    int j = 0;
    for (Map.Entry<Double, Integer> e : rowsByTokens.entrySet()) {
      tokens[j] = e.getKey();
      for (Op op : Op.values()) {
        median[op.ordinal()][j] = c.num(e.getValue(), "time_stats." + op.column + ".median") * 1000;
        std[op.ordinal()][j] = c.num(e.getValue(), "time_stats." + op.column + ".std") * 1000;
      }
      j++;
    }
  }

  public static VidurOps load(Path mlpCsv, String model) {
    return new VidurOps(mlpCsv, model);
  }

  public String model() {
    return model;
  }

  public int hidden() {
    return hidden;
  }

  public int intermediate() {
    return intermediate;
  }

  public int heads() {
    return heads;
  }

  public int kvHeads() {
    return kvHeads;
  }

  /** Median time of {@code op} at {@code tokens} tokens (linear between measured counts). */
  public double medianMicros(Op op, double tokens) {
    return Math.max(0, Interp.linear(this.tokens, median[op.ordinal()], Math.max(1, tokens)));
  }

  /**
   * Standard deviation of {@code op} at {@code tokens} tokens: the measured relative jitter (at the
   * nearest measured count, never extrapolated) times the median time.
   */
  public double stdMicros(Op op, double tokens) {
    return relativeStd(op, tokens) * medianMicros(op, tokens);
  }

  /**
   * Relative jitter (std / median) of {@code op} at {@code tokens} tokens, interpolated between
   * measured counts and held at the last measured count beyond them; at most 0.5.
   */
  public double relativeStd(Op op, double tokens) {
    double t = Math.max(1, Math.min(tokens, this.tokens[this.tokens.length - 1]));
    double m = Interp.linear(this.tokens, median[op.ordinal()], t);
    double s = Interp.linear(this.tokens, std[op.ordinal()], t);
    return m <= 0 ? 0 : Math.min(0.5, Math.max(0, s / m));
  }
}
