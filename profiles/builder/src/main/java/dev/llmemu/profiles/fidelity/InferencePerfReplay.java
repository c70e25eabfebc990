package dev.llmemu.profiles.fidelity;

import dev.llmemu.engine.FinishReason;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.SimulationResult;
import dev.llmemu.engine.Simulator;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.profiles.fidelity.InferencePerfExperiment.Stage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Replays an inference-perf experiment in virtual time on a hardware profile and measures it as
 * inference-perf measured the real server.
 *
 * <p>Stages run back to back on one server (the prefix cache persists): inference-perf starts the
 * next stage only after every request of the previous one finished, then waits the stage interval
 * plus its one-second lead-in (plus half of its one-second completion polling, on average).
 */
public final class InferencePerfReplay {
  /**
   * aiohttp's default total timeout, which applied when inference-perf's request_timeout is null.
   */
  public static final double DEFAULT_CLIENT_TIMEOUT_S = 300;

  private InferencePerfReplay() {}

  /** The emulated run: every stage's requests and results. */
  public record Run(List<List<RequestSpec>> stages, SimulationResult result) {}

  public static Run simulate(InferencePerfExperiment exp, HardwareProfile profile, long seed) {
    SharedPrefixWorkload workload =
        SharedPrefixWorkload.build(exp.sharedPrefix(), exp.promptLengths(), exp.ignoreEos(), seed);
    Double configured = exp.requestTimeout();
    double timeout = configured != null ? configured : DEFAULT_CLIENT_TIMEOUT_S;
    Simulator simulator = Simulator.builder().profile(profile).recordSteps(true).build();
    List<List<RequestSpec>> stages = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(seed ^ 0x51A6E5L);
    double start = 1.0;
    SimulationResult result = null;
    for (Stage s : exp.stages()) {
      stages.add(workload.stage(s, start, timeout, random.split()));
      List<RequestSpec> all = new ArrayList<>();
      stages.forEach(all::addAll);
      result = simulator.run(all);
      long lastFinish = 0;
      for (RequestResult r : result.requests()) {
        lastFinish = Math.max(lastFinish, r.finishedNanos());
      }
      start = lastFinish / 1e9 + exp.stageInterval() + 1.0 + 0.5;
    }
    if (result == null) {
      throw new IllegalArgumentException(exp.name() + " has no load stages");
    }
    return new Run(stages, result);
  }

  /** Replays and compares every stage. */
  public static List<StageComparison> compare(
      InferencePerfExperiment exp, HardwareProfile profile, long seed) {
    return compare(exp, simulate(exp, profile, seed));
  }

  /** Compares every stage of a replay with the real measurements. */
  public static List<StageComparison> compare(InferencePerfExperiment exp, Run run) {
    List<StageComparison> out = new ArrayList<>();
    int outputLen = exp.sharedPrefix().outputLen();
    for (Stage s : exp.stages()) {
      String prefix = "s" + s.index() + "-";
      List<RequestResult> results =
          run.result().requests().stream().filter(r -> r.requestId().startsWith(prefix)).toList();
      StageMetrics emulated = measure(results, outputLen);
      StageMetrics real = exp.realMetrics(s.index());
      boolean overloaded = real.failures() > 0 || real.ttftP50() > 10;
      out.add(
          new StageComparison(
              exp.label(),
              s.index(),
              s.rate(),
              s.duration(),
              (int) (s.rate() * s.duration()),
              overloaded,
              real,
              emulated));
    }
    return out;
  }

  /** Measures emulated results as inference-perf measured the real ones. */
  static StageMetrics measure(List<RequestResult> results, int outputLen) {
    List<RequestResult> ok = new ArrayList<>();
    long firstArrival = Long.MAX_VALUE;
    long lastEnd = Long.MIN_VALUE;
    for (RequestResult r : results) {
      firstArrival = Math.min(firstArrival, r.arrivalNanos());
      lastEnd = Math.max(lastEnd, r.finishedNanos());
      if (r.finishReason() != FinishReason.ABORT && r.firstTokenNanos() >= 0) {
        ok.add(r);
      }
    }
    double[] ttft = new double[ok.size()];
    double[] e2e = new double[ok.size()];
    double decodeSum = 0;
    double itlGaps = 0;
    long tokens = 0;
    for (int i = 0; i < ok.size(); i++) {
      RequestResult r = ok.get(i);
      ttft[i] = (r.firstTokenNanos() - r.arrivalNanos()) / 1e9;
      e2e[i] = (r.finishedNanos() - r.arrivalNanos()) / 1e9;
      decodeSum += e2e[i] - ttft[i];
      // inference-perf's line-by-line SSE parser stamped each event twice (data line and blank
      // line) and [DONE] twice: 2(N+1) stamps, 2N+1 gaps per request.
      itlGaps += 2.0 * r.outputTokens() + 1;
      tokens += r.outputTokens();
    }
    double ttftMean = Stats.mean(ttft);
    double e2eMean = Stats.mean(e2e);
    double tpot = (e2eMean - ttftMean) / (outputLen - 1);
    double seconds = (lastEnd - firstArrival) / 1e9;
    return new StageMetrics(
        ok.size(),
        results.size() - ok.size(),
        ttftMean,
        Stats.percentile(ttft, 50),
        Stats.percentile(ttft, 90),
        Stats.percentile(ttft, 99),
        tpot,
        itlGaps == 0 ? Double.NaN : decodeSum / itlGaps,
        e2eMean,
        Stats.percentile(e2e, 50),
        Stats.percentile(e2e, 90),
        Stats.percentile(e2e, 99),
        seconds <= 0 ? 0 : tokens / seconds);
  }
}
