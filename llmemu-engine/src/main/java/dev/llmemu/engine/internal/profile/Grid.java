package dev.llmemu.engine.internal.profile;

/**
 * Interpolation over the grids of a kernel profile (linear inside, linear extrapolation above).
 * Public for the profile builder, which looks up kernel tables on the same kind of grid.
 */
public final class Grid {
  private Grid() {}

  /** Index i with grid[i] <= x < grid[i+1], clamped to [0, n-2]; grid has at least 2 points. */
  public static int segment(double[] grid, double x) {
    int lo = 0;
    int hi = grid.length - 1;
    if (x <= grid[0]) {
      return 0;
    }
    if (x >= grid[hi]) {
      return hi - 1;
    }
    while (hi - lo > 1) {
      int mid = (lo + hi) >>> 1;
      if (grid[mid] <= x) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * Piecewise-linear interpolation; below the grid the first value, above it the last segment's
   * line (kernel times grow linearly with size once the GPU is saturated).
   */
  static double interp(double[] grid, double[] values, double x) {
    if (grid.length == 1 || x <= grid[0]) {
      return values[0];
    }
    int i = segment(grid, x);
    double t = (x - grid[i]) / (grid[i + 1] - grid[i]);
    return Math.max(0, values[i] + t * (values[i + 1] - values[i]));
  }

  /** Bilinear interpolation with the same edge rules in both dimensions. */
  static double interp2(double[] gx, double[] gy, double[][] v, double x, double y) {
    if (gx.length == 1) {
      return interp(gy, v[0], y);
    }
    int i = x <= gx[0] ? 0 : segment(gx, x);
    double tx = x <= gx[0] ? 0 : (x - gx[i]) / (gx[i + 1] - gx[i]);
    double a = interp(gy, v[i], y);
    double b = interp(gy, v[i + 1], y);
    return Math.max(0, a + tx * (b - a));
  }
}
