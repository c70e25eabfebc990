package dev.llmemu.engine;

import dev.llmemu.engine.internal.core.EngineCore;
import dev.llmemu.engine.internal.exec.Executive;
import dev.llmemu.engine.internal.exec.VirtualClock;
import dev.llmemu.engine.internal.exec.VirtualTimeInbox;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.workload.Workload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a workload through the engine in virtual time: a discrete-event simulation of vLLM on the
 * emulated GPU, as fast as the CPU allows and fully deterministic — the same configuration, seed
 * and workload give identical results.
 *
 * <pre>{@code
 * SimulationResult result = Simulator.builder()
 *     .config(EngineConfig.builder().maxNumSeqs(256).build())
 *     .latencyModel(StepLatencyModel.constant(Duration.ofMillis(10)))
 *     .build()
 *     .run(workload);
 * }</pre>
 *
 * <p>A simulator is reusable: every {@link #run} starts from an empty engine.
 */
public final class Simulator {
  private final EngineConfig config;
  private final StepLatencyModel latencyModel;
  private final OutputLengthModel outputLengthModel;
  private final EngineObserver observer;
  private final boolean recordSteps;
  private final boolean produceText;
  private final long frontendNanos;
  private final long frontendPerOutputNanos;

  private Simulator(Builder b) {
    this.config = b.config;
    this.latencyModel = b.latencyModel;
    this.outputLengthModel = b.outputLengthModel;
    this.observer = b.observer;
    this.recordSteps = b.recordSteps;
    this.produceText = b.produceText;
    this.frontendNanos = b.frontendLatency.toNanos();
    this.frontendPerOutputNanos = b.frontendPerOutput.toNanos();
  }

  public static Builder builder() {
    return new Builder();
  }

  public SimulationResult run(Workload workload) {
    return run(workload.requests());
  }

  /**
   * Runs the requests, each arriving at its {@link RequestSpec#arrival()}, until all have finished
   * or been cancelled.
   *
   * @throws IllegalArgumentException if a request cannot be served (its prompt does not fit the
   *     model length) or two requests share an id
   */
  public SimulationResult run(List<RequestSpec> requests) {
    String[] ids = new String[requests.size()];
    Map<String, Integer> order = new HashMap<>();
    for (int i = 0; i < requests.size(); i++) {
      RequestSpec spec = requests.get(i);
      Engine.validate(spec, config);
      ids[i] = spec.requestId() != null ? spec.requestId() : Integer.toString(i);
      if (order.put(ids[i], i) != null) {
        throw new IllegalArgumentException("two requests share the id '" + ids[i] + "'");
      }
    }
    List<List<RequestResult>> results = new ArrayList<>(requests.size());
    for (int i = 0; i < requests.size(); i++) {
      results.add(new ArrayList<>(1));
    }
    List<StepStats> steps = new ArrayList<>();
    long[] lastFinish = {Long.MIN_VALUE};
    EngineObserver collecting =
        new EngineObserver() {
          @Override
          public void onStep(StepStats stats) {
            if (recordSteps) {
              steps.add(stats);
            }
            observer.onStep(stats);
          }

          @Override
          public void onFirstToken(String requestId, long ttftNanos) {
            observer.onFirstToken(requestId, ttftNanos);
          }

          @Override
          public void onInterTokenLatency(long nanos) {
            observer.onInterTokenLatency(nanos);
          }

          @Override
          public void onPreemption(String requestId) {
            observer.onPreemption(requestId);
          }

          @Override
          public void onRequestFinished(RequestResult result) {
            results.get(order.get(result.parentRequestId())).add(result);
            lastFinish[0] = Math.max(lastFinish[0], result.finishedNanos());
            observer.onRequestFinished(result);
          }
        };
    EngineCore core =
        new EngineCore(
            config,
            latencyModel,
            outputLengthModel,
            collecting,
            produceText,
            frontendPerOutputNanos);
    VirtualClock clock = new VirtualClock();
    VirtualTimeInbox inbox = new VirtualTimeInbox();
    long firstArrival = Long.MAX_VALUE;
    for (int i = 0; i < requests.size(); i++) {
      RequestSpec spec = requests.get(i);
      String id = ids[i];
      long arrival = spec.arrival().toNanos();
      firstArrival = Math.min(firstArrival, arrival);
      // The front end (HTTP, tokenization, IPC) delays the engine's view of the request; its
      // latencies still count from the arrival.
      inbox.schedule(arrival + frontendNanos, (c, now) -> c.addRequest(spec, id, arrival, null));
      Duration cancel = spec.cancelAfter();
      if (cancel != null) {
        long at = arrival + Math.max(cancel.toNanos(), frontendNanos);
        inbox.schedule(at, (c, now) -> c.abort(id, now));
      }
    }
    try {
      new Executive(core, clock, inbox, 1.0).run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("simulation interrupted", e);
    }
    List<RequestResult> flat = new ArrayList<>();
    for (List<RequestResult> perSpec : results) {
      perSpec.sort((a, b) -> Integer.compare(a.index(), b.index()));
      flat.addAll(perSpec);
    }
    long start = requests.isEmpty() ? 0 : firstArrival;
    long end = requests.isEmpty() ? 0 : Math.max(lastFinish[0], start);
    return new SimulationResult(flat, steps, core.totalSteps(), start, end);
  }

  /** Configures a {@link Simulator}. */
  public static final class Builder {
    private EngineConfig config = EngineConfig.builder().build();
    private StepLatencyModel latencyModel = StepLatencyModel.constant(Duration.ofMillis(10));
    private OutputLengthModel outputLengthModel = OutputLengthModel.maxTokens();
    private EngineObserver observer = EngineObserver.NONE;
    private boolean recordSteps;
    private boolean produceText;
    private Duration frontendLatency = Duration.ZERO;
    private Duration frontendPerOutput = Duration.ZERO;

    private Builder() {}

    /**
     * Runs on a hardware profile: its engine configuration, step latency model and front-end
     * latency. Call {@link #config} afterwards to override engine settings.
     */
    public Builder profile(HardwareProfile value) {
      Objects.requireNonNull(value, "profile");
      config = value.engineConfig();
      latencyModel = value.latencyModel();
      frontendLatency = value.frontendLatency();
      frontendPerOutput = value.frontendPerOutput();
      return this;
    }

    /**
     * Latency of vLLM's API-server process that engine steps do not include (HTTP, tokenization,
     * IPC, detokenization, streaming): each request reaches the engine this long after it arrives,
     * and its TTFT and E2E latency include it. Zero unless set (or taken from a profile).
     */
    public Builder frontendLatency(Duration value) {
      Objects.requireNonNull(value, "frontendLatency");
      if (value.isNegative()) {
        throw new IllegalArgumentException("frontendLatency must not be negative, got " + value);
      }
      frontendLatency = value;
      return this;
    }

    /**
     * Cost of vLLM's API-server event loop per output of an engine step (detokenization, output
     * object, SSE chunk): each step's outputs reach their clients once the loop has handled them
     * and every earlier step's outputs, one after another. Zero unless set (or taken from a
     * profile): outputs then reach clients when their step ends. The engine's steps are not
     * affected.
     */
    public Builder frontendPerOutput(Duration value) {
      Objects.requireNonNull(value, "frontendPerOutput");
      if (value.isNegative()) {
        throw new IllegalArgumentException("frontendPerOutput must not be negative, got " + value);
      }
      frontendPerOutput = value;
      return this;
    }

    public Builder config(EngineConfig value) {
      config = Objects.requireNonNull(value, "config");
      return this;
    }

    public Builder latencyModel(StepLatencyModel value) {
      latencyModel = Objects.requireNonNull(value, "latencyModel");
      return this;
    }

    public Builder outputLengthModel(OutputLengthModel value) {
      outputLengthModel = Objects.requireNonNull(value, "outputLengthModel");
      return this;
    }

    /** Sees every step and request as it happens, in virtual time. */
    public Builder observer(EngineObserver value) {
      observer = Objects.requireNonNull(value, "observer");
      return this;
    }

    /** Keep every step's {@link StepStats} in the result (memory grows with the run). */
    public Builder recordSteps(boolean value) {
      recordSteps = value;
      return this;
    }

    /** Produce output text (needed only to see it; stop strings work either way). */
    public Builder produceText(boolean value) {
      produceText = value;
      return this;
    }

    public Simulator build() {
      return new Simulator(this);
    }
  }
}
