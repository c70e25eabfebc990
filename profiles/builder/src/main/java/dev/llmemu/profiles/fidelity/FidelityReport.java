package dev.llmemu.profiles.fidelity;

import java.util.List;
import java.util.Locale;

/** Formats fidelity comparisons as the LLM-Emu-style markdown tables of docs/fidelity.md. */
public final class FidelityReport {
  private FidelityReport() {}

  /** Non-overloaded-stage targets of issue 4 (absolute % error). */
  public static final double TTFT_TARGET = 8;

  public static final double TPOT_TARGET = 3;
  public static final double E2E_TARGET = 4;
  public static final double THROUGHPUT_TARGET = 1.5;

  public static String errorTable(List<StageComparison> stages) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| run | stage | rate × s | TTFT mean | TTFT p50 | TTFT p90 | TTFT p99 | TPOT | ITL | E2E mean"
            + " | E2E p50 | E2E p90 | E2E p99 | out tok/s |\n");
    sb.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (StageComparison c : stages) {
      double[] e = c.errors();
      sb.append("| ")
          .append(c.experiment())
          .append(c.overloaded() ? " (overloaded)" : "")
          .append(" | ")
          .append(c.stage())
          .append(" | ")
          .append(fmt("%.0f × %.0f", c.rate(), c.duration()))
          .append(" |");
      for (int i = 0; i < e.length; i++) {
        boolean checked = !c.overloaded() && (i == 0 || i == 2 || i == 4 || i == 6 || i == 10);
        double target =
            i == 0 || i == 2
                ? TTFT_TARGET
                : i == 4 ? TPOT_TARGET : i == 6 ? E2E_TARGET : THROUGHPUT_TARGET;
        String cell = fmt("%+.1f%%", e[i]);
        if (checked && Math.abs(e[i]) > target) {
          cell = "**" + cell + "**";
        }
        sb.append(' ').append(cell).append(" |");
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  public static String valueTable(List<StageComparison> stages) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| run | stage | ok / failed | TTFT mean ms | TTFT p90 ms | TPOT ms | ITL ms | E2E mean ms"
            + " | E2E p90 ms | out tok/s |\n");
    sb.append("|---|---:|---|---|---|---|---|---|---|---|\n");
    for (StageComparison c : stages) {
      StageMetrics r = c.real();
      StageMetrics e = c.emulated();
      sb.append("| ")
          .append(c.experiment())
          .append(" | ")
          .append(c.stage())
          .append(" | ")
          .append(r.successes() + "/" + r.failures() + " → " + e.successes() + "/" + e.failures())
          .append(" | ")
          .append(pair(r.ttftMean() * 1e3, e.ttftMean() * 1e3))
          .append(" | ")
          .append(pair(r.ttftP90() * 1e3, e.ttftP90() * 1e3))
          .append(" | ")
          .append(pair(r.tpot() * 1e3, e.tpot() * 1e3))
          .append(" | ")
          .append(pair(r.itl() * 1e3, e.itl() * 1e3))
          .append(" | ")
          .append(pair(r.e2eMean() * 1e3, e.e2eMean() * 1e3))
          .append(" | ")
          .append(pair(r.e2eP90() * 1e3, e.e2eP90() * 1e3))
          .append(" | ")
          .append(pair(r.outputThroughput(), e.outputThroughput()))
          .append(" |\n");
    }
    return sb.toString();
  }

  private static String pair(double real, double emulated) {
    return real >= 1000
        ? fmt("%.0f → %.0f", real, emulated)
        : real >= 100 ? fmt("%.1f → %.1f", real, emulated) : fmt("%.2f → %.2f", real, emulated);
  }

  private static String fmt(String f, Object... args) {
    return String.format(Locale.ROOT, f, args);
  }
}
