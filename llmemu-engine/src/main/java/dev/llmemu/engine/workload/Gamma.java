package dev.llmemu.engine.workload;

import java.util.random.RandomGenerator;

/** Gamma variates by Marsaglia and Tsang's method (shape < 1 by the boost a^(1/shape)). */
final class Gamma {
  private Gamma() {}

  static double sample(RandomGenerator random, double shape, double scale) {
    if (shape < 1) {
      double u = random.nextDouble();
      return sample(random, shape + 1, scale) * Math.pow(u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = random.nextGaussian();
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = random.nextDouble();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
        return d * v * scale;
      }
    }
  }
}
