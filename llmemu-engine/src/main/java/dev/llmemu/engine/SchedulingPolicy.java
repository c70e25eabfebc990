package dev.llmemu.engine;

/** vLLM's {@code --scheduling-policy}. */
public enum SchedulingPolicy {
  /** First come, first served; the request {@code priority} is accepted and ignored. */
  FCFS,
  /**
   * Waiting requests ordered by {@code (priority, arrival)}, lower first; preemption takes the
   * running request with the largest {@code (priority, arrival)}.
   */
  PRIORITY;

  /** Parses vLLM's spelling ({@code fcfs}, {@code priority}). */
  public static SchedulingPolicy parse(String value) {
    for (SchedulingPolicy p : values()) {
      if (p.name().equalsIgnoreCase(value)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown scheduling policy '" + value + "': expected one of fcfs, priority");
  }
}
