package dev.llmemu.examples.router;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.StepBatch;
import dev.llmemu.engine.StepLatencyModel;
import dev.llmemu.engine.profile.HardwareProfile;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * Predicts a request's time to first token and end-to-end latency on one replica from what is
 * running and waiting there, with the replica's engine limits and the hardware profile's step
 * latency model. A small replay of vLLM's continuous batching, one event per admission or
 * completion rather than per step:
 *
 * <ol>
 *   <li><b>Queue.</b> Requests are admitted first come, first served while fewer than {@code
 *       max_num_seqs} run, their prompts fit the step's {@code max_num_batched_tokens} budget and
 *       their prompt plus output fit the free KV cache. When none can be admitted, time jumps to
 *       the next completion: the running request with the fewest tokens left, each of those steps
 *       taking the model's time for a decode batch of the requests running then. The new request
 *       waits behind everything already there.
 *   <li><b>Prefill.</b> The step that admits the new request carries its prompt (and those admitted
 *       with it) next to the running decodes: one model step, more if the prompt needs several
 *       chunks. With async scheduling (vLLM ≥ 0.14, the bundled profiles) a request that arrives
 *       during a step waits one more step.
 *   <li><b>Decode.</b> Its output tokens after the first each take a decode step at the batch size
 *       it joins (capped at {@code max_num_seqs}).
 * </ol>
 *
 * <p>Step times are {@link StepLatencyModel#meanNanos}: the profile's step without jitter. The
 * prediction is deterministic. It does not model preemption, prefix-cache hits, or the batch
 * changing while the new request decodes.
 */
public final class LatencyPredictor {
  private final EngineConfig config;
  private final StepLatencyModel model;
  private final Duration frontendLatency;

  public LatencyPredictor(EngineConfig config, StepLatencyModel model, Duration frontendLatency) {
    this.config = Objects.requireNonNull(config, "config");
    this.model = Objects.requireNonNull(model, "model");
    this.frontendLatency = Objects.requireNonNull(frontendLatency, "frontendLatency");
  }

  /** Predicts with the profile's engine settings, latency model and front-end latency. */
  public static LatencyPredictor of(HardwareProfile profile) {
    return new LatencyPredictor(
        profile.engineConfig(), profile.latencyModel(), profile.frontendLatency());
  }

  public EngineConfig config() {
    return config;
  }

  /**
   * A request on a replica, as the predictor sees it.
   *
   * @param promptTokens prompt length
   * @param outputTokens how many tokens it generates in all (its {@code max_tokens}, or a guess)
   * @param generated how many it has generated so far (0 while it waits)
   */
  public record Sequence(int promptTokens, int outputTokens, int generated) {
    public Sequence {
      if (promptTokens < 0 || outputTokens < 1 || generated < 0 || generated >= outputTokens) {
        throw new IllegalArgumentException(
            "need prompt >= 0, output >= 1 and 0 <= generated < output, got "
                + promptTokens
                + ", "
                + outputTokens
                + ", "
                + generated);
      }
    }
  }

  /**
   * What is on a replica when the request arrives.
   *
   * @param running requests in the running batch
   * @param waiting requests queued, first come first
   * @param kvTokensInUse KV-cache tokens held (e.g. {@code vllm:kv_cache_usage_perc} × capacity)
   */
  public record ReplicaState(List<Sequence> running, List<Sequence> waiting, long kvTokensInUse) {
    public ReplicaState {
      running = List.copyOf(running);
      waiting = List.copyOf(waiting);
    }

    public static final ReplicaState IDLE = new ReplicaState(List.of(), List.of(), 0);
  }

  /**
   * A prediction.
   *
   * @param queue until the step that admits the request starts
   * @param ttft until its first token reaches the client
   * @param e2e until its last token does
   * @param batchSize requests decoding with it once it runs
   */
  public record Prediction(Duration queue, Duration ttft, Duration e2e, int batchSize) {}

  /** The prediction for a request of this shape arriving now at a replica in {@code state}. */
  public Prediction predict(ReplicaState state, int promptTokens, int outputTokens) {
    if (promptTokens < 0 || outputTokens < 1) {
      throw new IllegalArgumentException(
          "need prompt >= 0 and output >= 1, got " + promptTokens + ", " + outputTokens);
    }
    int maxSeqs = config.maxNumSeqs();
    int budget = config.maxNumBatchedTokens();
    long kvCapacity = config.kvCacheTokens();

    List<Running> running = new ArrayList<>();
    long reserved = 0;
    for (Sequence s : state.running()) {
      running.add(new Running(s.promptTokens() + s.generated(), s.outputTokens() - s.generated()));
      reserved += s.promptTokens() + (long) s.outputTokens();
    }
    reserved = Math.max(reserved, state.kvTokensInUse());
    Deque<Queued> waiting = new ArrayDeque<>();
    for (Sequence s : state.waiting()) {
      waiting.add(new Queued(s.promptTokens(), s.outputTokens(), false));
    }
    waiting.add(new Queued(promptTokens, outputTokens, true));

    Batch batch = new Batch();
    double now = 0;
    if (!running.isEmpty()) {
      // The request arrives during a step: it waits for that step's end (half a step on average)
      // and, with async scheduling, for the step already being scheduled after it.
      double step = decodeStep(batch, running, 0);
      now += (config.asyncScheduling() ? 1.5 : 0.5) * step;
    }
    while (true) {
      // One step that admits what fits, first come first served, next to the running decodes.
      batch.clear();
      for (Running r : running) {
        batch.addDecode(r.context);
      }
      List<Queued> admitted = new ArrayList<>();
      int tokens = running.size();
      int extraChunkSteps = 0;
      while (!waiting.isEmpty() && running.size() + admitted.size() < maxSeqs) {
        Queued q = waiting.peek();
        long need = q.prompt + (long) q.output;
        boolean first = running.isEmpty() && admitted.isEmpty();
        if (!first && (reserved + need > kvCapacity || tokens >= budget)) {
          break;
        }
        waiting.poll();
        int chunk = Math.max(1, Math.min(q.prompt, budget - tokens));
        batch.addPrefill(chunk);
        tokens += chunk;
        reserved += need;
        if (chunk < q.prompt) {
          // The rest of a long prompt takes further steps of (at most) a full budget each.
          extraChunkSteps += (int) Math.ceil((q.prompt - chunk) / (double) budget);
        }
        admitted.add(q);
      }
      if (!admitted.isEmpty()) {
        double step = model.meanNanos(batch);
        double chunkStep = extraChunkSteps == 0 ? 0 : fullChunkStep(batch, running.size(), budget);
        double admittedAt = now;
        now += step + extraChunkSteps * chunkStep;
        for (Queued q : admitted) {
          if (q.isNew) {
            int batchSize = Math.min(maxSeqs, running.size() + admitted.size());
            double ttft = now + frontendLatency.toNanos();
            double decodeStep = decodeStep(batch, running, 0, batchSize, q.prompt);
            double e2e = ttft + (q.output - 1) * decodeStep;
            return new Prediction(nanos(admittedAt), nanos(ttft), nanos(e2e), batchSize);
          }
        }
        for (Running r : running) {
          r.context++;
          r.remaining--;
        }
        for (Queued q : admitted) {
          running.add(new Running(q.prompt + 1, q.output - 1));
        }
        reserved -= removeFinished(running);
        continue;
      }
      // Nothing fits: jump to the next completion.
      int fewest = Integer.MAX_VALUE;
      for (Running r : running) {
        fewest = Math.min(fewest, r.remaining);
      }
      double step = decodeStep(batch, running, fewest / 2);
      now += fewest * step;
      for (Running r : running) {
        r.context += fewest;
        r.remaining -= fewest;
      }
      reserved -= removeFinished(running);
    }
  }

  /** The mean decode step of the running requests, their contexts {@code ahead} tokens on. */
  private double decodeStep(Batch batch, List<Running> running, int ahead) {
    batch.clear();
    for (Running r : running) {
      batch.addDecode(r.context + ahead);
    }
    return model.meanNanos(batch);
  }

  /**
   * The decode step of the new request once it runs: {@code batchSize} decodes with the running
   * requests' mean context (the new one at its prompt plus half its output is not known here, so it
   * counts with the others' mean, or its prompt when it runs alone).
   */
  private double decodeStep(
      Batch batch, List<Running> running, int ahead, int batchSize, int newPrompt) {
    long contexts = newPrompt;
    for (Running r : running) {
      contexts += r.context + ahead;
    }
    long mean = contexts / (running.size() + 1);
    batch.clear();
    for (int i = 0; i < batchSize; i++) {
      batch.addDecode(mean);
    }
    return model.meanNanos(batch);
  }

  /** A step carrying a full-budget chunk next to the running decodes. */
  private double fullChunkStep(Batch batch, int decodes, int budget) {
    batch.clear();
    for (int i = 0; i < decodes; i++) {
      batch.addDecode(0);
    }
    batch.addPrefill(Math.max(1, budget - decodes));
    return model.meanNanos(batch);
  }

  /** Removes finished requests; answers the KV tokens they had reserved. */
  private static long removeFinished(List<Running> running) {
    long freed = 0;
    for (int i = running.size() - 1; i >= 0; i--) {
      Running r = running.get(i);
      if (r.remaining <= 0) {
        freed += r.context;
        running.remove(i);
      }
    }
    return freed;
  }

  private static Duration nanos(double v) {
    return Duration.ofNanos(Math.round(v));
  }

  private static final class Running {
    long context;
    int remaining;

    Running(long context, int remaining) {
      this.context = context;
      this.remaining = remaining;
    }
  }

  private record Queued(int prompt, int output, boolean isNew) {}

  /** A step as the latency model sees it: decodes with their contexts, and prefill chunks. */
  private static final class Batch implements StepBatch {
    private int decodes;
    private long decodeContext;
    private final List<Integer> chunks = new ArrayList<>();

    void clear() {
      decodes = 0;
      decodeContext = 0;
      chunks.clear();
    }

    void addDecode(long context) {
      decodes++;
      decodeContext += context;
    }

    void addPrefill(int chunk) {
      chunks.add(chunk);
    }

    @Override
    public int totalTokens() {
      return decodes + prefillTokens();
    }

    @Override
    public int numRequests() {
      return decodes + chunks.size();
    }

    @Override
    public int numNewRequests() {
      return chunks.size();
    }

    @Override
    public int numDecodes() {
      return decodes;
    }

    @Override
    public long decodeContextTokens() {
      return decodeContext;
    }

    @Override
    public int numPrefills() {
      return chunks.size();
    }

    @Override
    public int prefillChunkTokens(int i) {
      return chunks.get(i);
    }

    @Override
    public int prefillContextTokens(int i) {
      return 0;
    }
  }
}
