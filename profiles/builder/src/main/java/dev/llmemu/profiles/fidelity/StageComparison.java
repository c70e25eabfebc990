package dev.llmemu.profiles.fidelity;

/** One stage of a replayed experiment: what ran, what was measured and what llmemu produced. */
public record StageComparison(
    String experiment,
    int stage,
    double rate,
    double duration,
    int requests,
    boolean overloaded,
    StageMetrics real,
    StageMetrics emulated) {

  /** Signed % errors: TTFT mean, p50, p90, p99, TPOT, ITL, E2E mean, p50, p90, p99, throughput. */
  public double[] errors() {
    StageMetrics r = real;
    StageMetrics e = emulated;
    return new double[] {
      Stats.errorPct(e.ttftMean(), r.ttftMean()),
      Stats.errorPct(e.ttftP50(), r.ttftP50()),
      Stats.errorPct(e.ttftP90(), r.ttftP90()),
      Stats.errorPct(e.ttftP99(), r.ttftP99()),
      Stats.errorPct(e.tpot(), r.tpot()),
      Stats.errorPct(e.itl(), r.itl()),
      Stats.errorPct(e.e2eMean(), r.e2eMean()),
      Stats.errorPct(e.e2eP50(), r.e2eP50()),
      Stats.errorPct(e.e2eP90(), r.e2eP90()),
      Stats.errorPct(e.e2eP99(), r.e2eP99()),
      Stats.errorPct(e.outputThroughput(), r.outputThroughput())
    };
  }
}
