package dev.llmemu.profiles.builder;

import dev.llmemu.engine.internal.profile.Grid;

/** Interpolation helpers for kernel tables measured on grids. */
final class Interp {
  private Interp() {}

  /** Fraction along segment i; 0 below the grid, beyond 1 above it (linear extrapolation). */
  static double fraction(double[] grid, int i, double x) {
    if (x <= grid[0]) {
      return 0;
    }
    return (x - grid[i]) / (grid[i + 1] - grid[i]);
  }

  /** Piecewise linear, constant below the grid and linearly extrapolated above it. */
  static double linear(double[] grid, double[] v, double x) {
    if (grid.length == 1) {
      return v[0];
    }
    int i = Grid.segment(grid, x);
    double t = fraction(grid, i, x);
    return v[i] + t * (v[i + 1] - v[i]);
  }

  static double[] toDoubles(java.util.Collection<? extends Number> values) {
    double[] out = new double[values.size()];
    int i = 0;
    for (Number n : values) {
      out[i++] = n.doubleValue();
    }
    return out;
  }

  static int indexOf(double[] grid, double x) {
    for (int i = 0; i < grid.length; i++) {
      if (grid[i] == x) {
        return i;
      }
    }
    return -1;
  }
}
