package dev.llmemu.profiles.builder;

/**
 * The only terms calibrated on real serving runs (µs): exposed CPU time per engine step, per
 * scheduled request per step, per step that carries a prefill chunk (such steps run vLLM's
 * piecewise CUDA graphs with eager attention instead of one full-graph replay), and the per-request
 * front-end latency.
 */
public record Overheads(
    double stepUs, double perRequestUs, double prefillStepUs, double frontendUs) {
  public static final Overheads NONE = new Overheads(0, 0, 0, 0);

  public Overheads {
    if (!(stepUs >= 0) || !(perRequestUs >= 0) || !(prefillStepUs >= 0) || !(frontendUs >= 0)) {
      throw new IllegalArgumentException(
          "overheads must not be negative: " + stepUs + ", " + perRequestUs + ", " + frontendUs);
    }
  }
}
