package dev.llmemu.profiles.builder;

/**
 * The only terms calibrated on real serving runs (µs): exposed CPU time per engine step, per
 * scheduled request per step, per step that carries a prefill chunk (such steps run vLLM's
 * piecewise CUDA graphs with eager attention instead of one full-graph replay), the per-request
 * front-end latency, and the front end's cost per output of a step (vLLM's API-server event loop
 * detokenizes and streams every output of every step, one after another).
 */
public record Overheads(
    double stepUs,
    double perRequestUs,
    double prefillStepUs,
    double frontendUs,
    double frontendPerOutputUs) {
  public static final Overheads NONE = new Overheads(0, 0, 0, 0, 0);

  public Overheads {
    if (!(stepUs >= 0)
        || !(perRequestUs >= 0)
        || !(prefillStepUs >= 0)
        || !(frontendUs >= 0)
        || !(frontendPerOutputUs >= 0)) {
      throw new IllegalArgumentException(
          "overheads must not be negative: "
              + stepUs
              + ", "
              + perRequestUs
              + ", "
              + prefillStepUs
              + ", "
              + frontendUs
              + ", "
              + frontendPerOutputUs);
    }
  }

  /** The same engine-side terms with the given front-end terms. */
  public Overheads withFrontend(double frontend, double perOutput) {
    return new Overheads(stepUs, perRequestUs, prefillStepUs, frontend, perOutput);
  }
}
