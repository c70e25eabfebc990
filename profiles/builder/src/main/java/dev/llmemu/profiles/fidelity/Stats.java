package dev.llmemu.profiles.fidelity;

import java.util.Arrays;

/** Summary statistics as numpy computes them (percentiles by linear interpolation). */
public final class Stats {
  private Stats() {}

  public static double mean(double[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  /** {@code numpy.percentile(v, p)} with the default linear method; v need not be sorted. */
  public static double percentile(double[] v, double p) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double[] s = v.clone();
    Arrays.sort(s);
    return percentileSorted(s, p);
  }

  public static double percentileSorted(double[] s, double p) {
    double rank = p / 100.0 * (s.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = Math.min(s.length - 1, lo + 1);
    double t = rank - lo;
    return s[lo] + t * (s[hi] - s[lo]);
  }

  /** Signed relative error in percent: {@code (emulated / real - 1) x 100}. */
  public static double errorPct(double emulated, double real) {
    return (emulated / real - 1) * 100;
  }
}
