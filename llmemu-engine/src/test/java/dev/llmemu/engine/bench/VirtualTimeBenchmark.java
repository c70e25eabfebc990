package dev.llmemu.engine.bench;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.EngineObserver;
import dev.llmemu.engine.SimulationResult;
import dev.llmemu.engine.Simulator;
import dev.llmemu.engine.StepLatencyModel;
import dev.llmemu.engine.StepStats;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthDistribution;
import dev.llmemu.engine.workload.Workload;
import java.util.Locale;

/**
 * Virtual-time speed: 10,000 requests of ~250 prompt / ~250 output tokens at a Poisson rate that
 * keeps ~100 requests running, emulated in one JVM (start-up excluded). Prints wall time per run,
 * emulated tokens per wall second and how many requests were running on average.
 *
 * <p>Usage: {@code bench/virtual-time.sh [profile] [rate] [runs]}.
 */
public final class VirtualTimeBenchmark {
  private VirtualTimeBenchmark() {}

  public static void main(String[] args) {
    String profileName = args.length > 0 ? args[0] : Profiles.DEFAULT_PROFILE;
    double rate = args.length > 1 ? Double.parseDouble(args[1]) : 0;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    HardwareProfile profile = Profiles.load(profileName);
    EngineConfig config = profile.engineConfig();
    StepLatencyModel latency = profile.latencyModel();
    if (rate <= 0) {
      rate = rateForRunning(config, latency, 100);
    }
    Workload workload =
        Workload.builder()
            .requests(10_000)
            .arrivals(ArrivalProcess.poisson(rate))
            .promptLength(LengthDistribution.uniform(200, 300))
            .outputLength(LengthDistribution.uniform(200, 300))
            .seed(1)
            .build();
    System.out.printf(Locale.ROOT, "profile %s, %s, rate %.2f/s%n", profile.name(), workload, rate);
    for (int run = 0; run < runs; run++) {
      RunningAverage avg = new RunningAverage();
      long t0 = System.nanoTime();
      SimulationResult result =
          Simulator.builder()
              .config(config)
              .latencyModel(latency)
              .observer(avg)
              .build()
              .run(workload);
      long wall = System.nanoTime() - t0;
      long tokens = result.totalOutputTokens() + result.totalPromptTokens();
      System.out.printf(
          Locale.ROOT,
          "run %d: wall %.0f ms, %d steps, %.1f running on average, emulated %.2fM tokens"
              + " (%.0fk output) = %.2fM tokens/s wall, virtual duration %.1f s (%.0fx real time)%n",
          run + 1,
          wall / 1e6,
          result.totalSteps(),
          avg.mean(),
          tokens / 1e6,
          result.totalOutputTokens() / 1e3,
          tokens / (wall / 1e9) / 1e6,
          result.duration().toNanos() / 1e9,
          result.duration().toNanos() / (double) wall);
    }
  }

  /** Finds by bisection the Poisson rate at which about {@code target} requests run. */
  private static double rateForRunning(EngineConfig config, StepLatencyModel latency, int target) {
    double lo = 1;
    double hi = 400;
    for (int i = 0; i < 12; i++) {
      double mid = (lo + hi) / 2;
      Workload probe =
          Workload.builder()
              .requests(1500)
              .arrivals(ArrivalProcess.poisson(mid))
              .promptLength(LengthDistribution.uniform(200, 300))
              .outputLength(LengthDistribution.uniform(200, 300))
              .seed(2)
              .build();
      RunningAverage avg = new RunningAverage();
      Simulator.builder().config(config).latencyModel(latency).observer(avg).build().run(probe);
      if (avg.mean() < target) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return Math.round((lo + hi) / 2 * 100) / 100.0;
  }

  /** Time-weighted mean of the running count. */
  private static final class RunningAverage implements EngineObserver {
    private double weighted;
    private long time;

    @Override
    public void onStep(StepStats s) {
      long d = s.endNanos() - s.startNanos();
      weighted += (double) s.scheduledRequests() * d;
      time += d;
    }

    double mean() {
      return time == 0 ? 0 : weighted / time;
    }
  }
}
