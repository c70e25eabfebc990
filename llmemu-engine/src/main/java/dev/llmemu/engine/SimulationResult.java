package dev.llmemu.engine;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link Simulator} run produced: every request's result, in submission order (choices of an
 * n > 1 request in index order), and the run's totals, all in virtual time.
 */
public final class SimulationResult {
  private final List<RequestResult> requests;
  private final List<StepStats> steps;
  private final long totalSteps;
  private final long startNanos;
  private final long endNanos;

  SimulationResult(
      List<RequestResult> requests,
      List<StepStats> steps,
      long totalSteps,
      long startNanos,
      long endNanos) {
    this.requests = List.copyOf(requests);
    this.steps = List.copyOf(steps);
    this.totalSteps = totalSteps;
    this.startNanos = startNanos;
    this.endNanos = endNanos;
  }

  public List<RequestResult> requests() {
    return requests;
  }

  /** Per-step stats, if the simulator was built with {@code recordSteps(true)}; else empty. */
  public List<StepStats> steps() {
    return steps;
  }

  /** Engine steps executed. */
  public long totalSteps() {
    return totalSteps;
  }

  /**
   * From the first arrival until the last request finished ({@code vllm bench serve}'s benchmark
   * duration).
   */
  public Duration duration() {
    return Duration.ofNanos(endNanos - startNanos);
  }

  /** Output tokens of all requests, EOS tokens included. */
  public long totalOutputTokens() {
    long sum = 0;
    for (RequestResult r : requests) {
      sum += r.outputTokens();
    }
    return sum;
  }

  public long totalPromptTokens() {
    long sum = 0;
    for (RequestResult r : requests) {
      sum += r.promptTokens();
    }
    return sum;
  }

  /** Output tokens per second of virtual time. */
  public double outputThroughput() {
    long nanos = endNanos - startNanos;
    return nanos <= 0 ? 0 : totalOutputTokens() * 1e9 / nanos;
  }

  /** Finished requests per second of virtual time (aborted ones excluded). */
  public double requestThroughput() {
    long nanos = endNanos - startNanos;
    long done = requests.stream().filter(r -> r.finishReason() != FinishReason.ABORT).count();
    return nanos <= 0 ? 0 : done * 1e9 / nanos;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof SimulationResult)) {
      return false;
    }
    SimulationResult other = (SimulationResult) o;
    return requests.equals(other.requests)
        && steps.equals(other.steps)
        && totalSteps == other.totalSteps
        && startNanos == other.startNanos
        && endNanos == other.endNanos;
  }

  @Override
  public int hashCode() {
    return requests.hashCode() * 31 + Long.hashCode(endNanos);
  }

  @Override
  public String toString() {
    return "SimulationResult{"
        + requests.size()
        + " requests, "
        + totalSteps
        + " steps, duration="
        + duration()
        + ", output="
        + String.format(java.util.Locale.ROOT, "%.1f", outputThroughput())
        + " tok/s}";
  }
}
