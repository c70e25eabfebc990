package dev.llmemu.engine.internal.core;

import dev.llmemu.engine.Engine;
import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.EngineObserver;
import dev.llmemu.engine.FinishReason;
import dev.llmemu.engine.OutputLengthModel;
import dev.llmemu.engine.OutputSink;
import dev.llmemu.engine.RequestOutput;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.StepLatencyModel;
import dev.llmemu.engine.StepStats;
import dev.llmemu.engine.internal.text.SyntheticVocabulary;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * The engine without a clock: vLLM's {@code EngineCore} (scheduler, KV cache, {@code
 * update_from_output}) plus the part of the front end's output processor that the emulation needs
 * (synthetic tokens, incremental text, stop strings, per-request outputs). Time is passed in; an
 * executive drives it. Not thread-safe: one thread owns it.
 */
public final class EngineCore {
  private static final int NO_TOKEN = -1;

  private final EngineConfig config;
  private final KvCacheManager kv;
  private final Scheduler scheduler;
  private final StepLatencyModel latencyModel;
  private final OutputLengthModel outputLengthModel;
  private final EngineObserver observer;
  private final boolean produceText;
  private final SyntheticVocabulary vocab = SyntheticVocabulary.get();
  private final SplittableRandom latencyRandom;
  private final Map<String, List<Request>> byParentId = new HashMap<>();
  private final List<Request> deferredAborts = new ArrayList<>();

  /**
   * Async scheduling ({@link EngineConfig#asyncScheduling()}): requests that arrived while a step
   * was in flight, with the step index they may first be scheduled in (the step after next).
   */
  private final ArrayDeque<Request> admissions = new ArrayDeque<>();

  private final ArrayDeque<Long> admissionSteps = new ArrayDeque<>();

  /**
   * vLLM's API-server cost per output of a step (detokenization, output object, SSE chunk and
   * socket write), in nanoseconds; 0 delivers outputs at the step's end.
   */
  private final long frontendPerOutputNanos;

  /** When the emulated API server finishes handling the outputs it was last given. */
  private long frontendFreeNanos = Long.MIN_VALUE;

  private long nextSeq;
  private long stepIndex;
  private long stepStart;
  private @Nullable ScheduledBatch current;
  private boolean statsStepOwed;
  private long totalSteps;

  public EngineCore(
      EngineConfig config,
      StepLatencyModel latencyModel,
      OutputLengthModel outputLengthModel,
      EngineObserver observer,
      boolean produceText) {
    this(config, latencyModel, outputLengthModel, observer, produceText, 0);
  }

  /**
   * As above, with vLLM's API-server cost per step output: the outputs of a step reach their
   * clients when a single server (vLLM's API-server event loop) has handled them, {@code
   * frontendPerOutputNanos} each, after the outputs of earlier steps.
   */
  public EngineCore(
      EngineConfig config,
      StepLatencyModel latencyModel,
      OutputLengthModel outputLengthModel,
      EngineObserver observer,
      boolean produceText,
      long frontendPerOutputNanos) {
    if (frontendPerOutputNanos < 0) {
      throw new IllegalArgumentException(
          "frontendPerOutputNanos must not be negative, got " + frontendPerOutputNanos);
    }
    this.frontendPerOutputNanos = frontendPerOutputNanos;
    this.config = config;
    this.latencyModel = latencyModel;
    this.outputLengthModel = outputLengthModel;
    this.observer = observer;
    this.produceText = produceText;
    this.kv =
        new KvCacheManager(
            config.numGpuBlocks(),
            config.blockSize(),
            config.maxModelLen(),
            config.enablePrefixCaching(),
            config.seed());
    this.scheduler = new Scheduler(config, kv);
    this.latencyRandom = new SplittableRandom(mix(config.seed(), 0x5EED_57E9L));
  }

  public EngineConfig config() {
    return config;
  }

  /**
   * Validates and queues a request (its n choices), arriving at {@code arrivalNanos}. Returns the
   * id the request is known by.
   *
   * @throws IllegalArgumentException with vLLM's message when the request cannot be served
   */
  public String addRequest(RequestSpec spec, long arrivalNanos, @Nullable OutputSink sink) {
    return addRequest(spec, spec.requestId(), arrivalNanos, sink);
  }

  /** As {@link #addRequest(RequestSpec, long, OutputSink)}, under the given id (null: numbered). */
  public String addRequest(
      RequestSpec spec, @Nullable String requestId, long arrivalNanos, @Nullable OutputSink sink) {
    Engine.validate(spec, config);
    int prompt = spec.promptLength();
    long seq = nextSeq++;
    String id = requestId != null ? requestId : Long.toString(seq);
    if (byParentId.containsKey(id)) {
      throw new IllegalArgumentException("request id '" + id + "' is already in use");
    }
    int room = config.maxModelLen() - prompt;
    int maxTokens = spec.maxTokens() == null ? room : Math.min(spec.maxTokens(), room);
    List<Request> children = new ArrayList<>(spec.n());
    for (int k = 0; k < spec.n(); k++) {
      long childSeed =
          spec.seed() != null ? mix(spec.seed(), k) : mix(config.seed(), seq * 1_000_003L + k);
      int eosPosition = OutputLengthModel.NEVER;
      if (!spec.ignoreEos()) {
        Integer hint = spec.outputTokensHint();
        int natural =
            hint != null
                ? hint
                : outputLengthModel.sampleLength(spec, new SplittableRandom(mix(childSeed, 1)));
        // EOS is masked until min_tokens outputs exist (vLLM's min-tokens logits processor).
        eosPosition = Math.max(natural, Math.min(spec.minTokens(), maxTokens) + 1);
      }
      String childId = spec.n() == 1 ? id : k + "_" + id;
      Request r =
          new Request(
              seq,
              childId,
              id,
              k,
              spec,
              maxTokens,
              eosPosition,
              childSeed,
              arrivalNanos,
              sink,
              produceText);
      children.add(r);
    }
    byParentId.put(id, children);
    // vLLM's async scheduler has already scheduled the next step when a request arriving during
    // a busy step is picked up, so the request joins the step after next; an idle engine
    // schedules it at once.
    boolean defer = config.asyncScheduling() && hasWork();
    for (Request r : children) {
      if (defer) {
        admissions.add(r);
        admissionSteps.add(stepIndex + 1);
      } else {
        scheduler.addRequest(r);
      }
    }
    return id;
  }

  /** True while any request is waiting or running (or about to be admitted). */
  public boolean hasWork() {
    return scheduler.hasWork() || !admissions.isEmpty();
  }

  /** True if an abort left gauges to refresh with an empty step (vLLM's extra stats step). */
  public boolean statsStepOwed() {
    return statsStepOwed;
  }

  public int numRunning() {
    return scheduler.numRunning();
  }

  public int numWaiting() {
    return scheduler.numWaiting();
  }

  public double kvCacheUsage() {
    return kv.usage();
  }

  public long totalSteps() {
    return totalSteps;
  }

  /** Number of requests (parents) not yet finished. */
  public int activeRequests() {
    return byParentId.size();
  }

  public BlockPool blockPool() {
    return kv.pool();
  }

  public Scheduler scheduler() {
    return scheduler;
  }

  /**
   * Aborts every choice of a request. Returns false if no such request is active (it finished, or
   * never existed).
   */
  public boolean abort(String requestId, long now) {
    List<Request> children = byParentId.get(requestId);
    if (children == null) {
      return false;
    }
    for (Request r : List.copyOf(children)) {
      if (r.status.isFinished()) {
        continue;
      }
      boolean clientStillWaiting = !r.frontendFinished;
      dropAdmission(r);
      scheduler.abort(r);
      deferredAborts.remove(r);
      if (clientStillWaiting) {
        r.finishReason = FinishReason.ABORT;
        r.finishedNanos = now;
        emit(r, NO_TOKEN, now, true);
      }
      released(r);
    }
    statsStepOwed = true;
    return true;
  }

  /**
   * Schedules the next step at engine time {@code now} and returns its duration in nanoseconds from
   * the latency model, or -1 if nothing could be scheduled.
   */
  public long beginStep(long now) {
    if (current != null) {
      throw new IllegalStateException("step " + stepIndex + " is still in flight");
    }
    applyDeferredAborts();
    admitDeferred();
    if (!scheduler.hasWork()) {
      return -1;
    }
    ScheduledBatch batch = scheduler.schedule(now);
    for (Request victim : scheduler.preempted()) {
      observer.onPreemption(victim.requestId);
    }
    if (batch.size() == 0 && scheduler.preempted().isEmpty()) {
      return -1;
    }
    current = batch;
    stepStart = now;
    if (batch.size() == 0) {
      // Only preemptions happened (the request that needed blocks was itself the victim): vLLM
      // runs no forward pass for an empty schedule, and the next step follows at once.
      return 0;
    }
    long nanos = latencyModel.stepNanos(batch, latencyRandom);
    return Math.max(1, nanos);
  }

  /** Applies the step begun by {@link #beginStep}, with its outputs stamped {@code end}. */
  public void completeStep(long end) {
    ScheduledBatch batch = current;
    if (batch == null) {
      throw new IllegalStateException("no step in flight");
    }
    current = null;
    long delivered = deliveryTime(batch, end);
    int generated = 0;
    int firstTokenPrompt = 0;
    boolean anyFinished = false;
    for (int k = 0; k < batch.size; k++) {
      Request r = batch.requests[k];
      if (r.status != RequestStatus.RUNNING || r.numComputedTokens < r.numTokens()) {
        continue; // partial prefill chunk: no token
      }
      int position = r.numOutputTokens() + 1;
      int token;
      String piece;
      if (!r.ignoreEos && position >= r.eosPosition) {
        token = SyntheticVocabulary.EOS_TOKEN_ID;
        piece = "";
      } else {
        int idx = vocab.nextIndex(r.nextRandom());
        token = vocab.id(idx);
        piece = vocab.text(idx);
      }
      r.appendToken(token);
      if (r.numTokens % config.blockSize() == 0) {
        kv.updateBlockHashes(r);
      }
      generated++;
      RequestStatus stop = checkStop(r, token);
      if (stop != null) {
        scheduler.finish(r, stop);
        anyFinished = true;
      }
      if (r.frontendFinished) {
        // The client already has its final output; this token is thrown away.
        if (stop != null) {
          deferredAborts.remove(r);
          forget(r);
        }
        continue;
      }
      r.addTokenTime(delivered);
      if (r.numTokenTimes == 1) {
        firstTokenPrompt += r.numPromptTokens;
        observer.onFirstToken(r.requestId, delivered - r.arrivalNanos);
      } else {
        observer.onInterTokenLatency(delivered - r.tokenTimes[r.numTokenTimes - 2]);
      }
      boolean finished = stop != null;
      if (stop != null) {
        r.finishReason =
            stop == RequestStatus.FINISHED_STOPPED ? FinishReason.STOP : FinishReason.LENGTH;
        if (stop == RequestStatus.FINISHED_STOPPED && token != SyntheticVocabulary.EOS_TOKEN_ID) {
          r.stopReason = token;
        }
      }
      // A stop token (EOS included) is not detokenized unless include_stop_str_in_output.
      boolean stoppedOnToken = stop == RequestStatus.FINISHED_STOPPED;
      boolean decode =
          token != SyntheticVocabulary.EOS_TOKEN_ID && (!stoppedOnToken || r.includeStopStr);
      if (r.text != null && decode) {
        int before = r.text.length();
        r.text.append(piece);
        if (findStopString(r, before)) {
          finished = true;
          if (stop == null) {
            // vLLM's front end finishes the request now and aborts it in the engine, which
            // keeps scheduling it until the abort arrives: one more step.
            r.frontendFinished = true;
            r.abortAfterStep = stepIndex + 1;
            deferredAborts.add(r);
          }
        }
      }
      if (finished) {
        r.finishedNanos = delivered;
      }
      emit(r, token, delivered, finished);
      if (finished && stop != null) {
        released(r);
      } else if (finished) {
        resultFor(r);
      }
    }
    if (anyFinished) {
      scheduler.compactRunning();
    }
    int preemptions = scheduler.preempted().size();
    statsStepOwed = false;
    totalSteps++;
    observer.onStep(
        new StepStats(
            stepIndex,
            stepStart,
            end,
            batch.totalTokens,
            batch.size,
            batch.numNew,
            scheduler.numRunning(),
            scheduler.numWaiting(),
            kv.usage(),
            generated,
            firstTokenPrompt,
            preemptions,
            scheduler.prefixQueries(),
            scheduler.prefixHits(),
            delivered));
    stepIndex++;
  }

  /**
   * When the outputs of a step that ended at {@code end} reach their clients. vLLM's API server is
   * one asyncio event loop: it takes a step's outputs as a batch when the previous batch is done,
   * detokenizes each and writes its SSE chunk; the model delivers every output of the batch when
   * the batch is done ({@code frontendPerOutputNanos} per output). Requests whose tokens are thrown
   * away still cost their share (vLLM processes them before discarding).
   */
  private long deliveryTime(ScheduledBatch batch, long end) {
    if (frontendPerOutputNanos == 0) {
      return end;
    }
    int outputs = 0;
    for (int k = 0; k < batch.size; k++) {
      Request r = batch.requests[k];
      if (r.status == RequestStatus.RUNNING && r.numComputedTokens >= r.numTokens()) {
        outputs++;
      }
    }
    if (outputs == 0) {
      return end;
    }
    long start = Math.max(end, frontendFreeNanos);
    frontendFreeNanos = start + outputs * frontendPerOutputNanos;
    return frontendFreeNanos;
  }

  /** Reports state with an empty step, as vLLM does after aborts leave the engine idle. */
  public void emitIdleStats(long now) {
    statsStepOwed = false;
    observer.onStep(
        new StepStats(
            stepIndex,
            now,
            now,
            0,
            0,
            0,
            scheduler.numRunning(),
            scheduler.numWaiting(),
            kv.usage(),
            0,
            0,
            0,
            0,
            0,
            now));
  }

  /**
   * Checks the engine's bookkeeping between steps and describes every inconsistency found: block
   * references that do not match what requests hold, leaked blocks, requests in the wrong queue,
   * computed tokens without KV slots. Empty when all is well. For tests; costs a full scan.
   */
  public List<String> checkInvariants() {
    List<String> problems = new ArrayList<>();
    BlockPool pool = kv.pool();
    long held = 0;
    int running = 0;
    for (List<Request> children : byParentId.values()) {
      for (Request r : children) {
        held += r.blocks.size();
        if (r.status == RequestStatus.RUNNING) {
          running++;
          long slots = (long) r.blocks.size() * config.blockSize();
          if (slots < r.numComputedTokens) {
            problems.add(r + " has computed tokens beyond its " + r.blocks.size() + " blocks");
          }
        } else if (r.blocks.size() > 0) {
          problems.add(r + " holds " + r.blocks.size() + " blocks while " + r.status);
        }
      }
    }
    if (running != scheduler.numRunning()) {
      problems.add(running + " requests are RUNNING but running holds " + scheduler.numRunning());
    }
    if (pool.totalReferences() != held) {
      problems.add(
          "blocks hold " + pool.totalReferences() + " references but requests hold " + held);
    }
    if (pool.leakedBlocks() != 0) {
      problems.add(pool.leakedBlocks() + " blocks are neither referenced nor free");
    }
    if (scheduler.numRunning() > config.maxNumSeqs()) {
      problems.add(scheduler.numRunning() + " running exceeds max_num_seqs " + config.maxNumSeqs());
    }
    return problems;
  }

  /** Moves async-scheduling admissions that are due (or all, if nothing else can run) along. */
  private void admitDeferred() {
    boolean idle = !scheduler.hasWork();
    while (!admissions.isEmpty() && (idle || admissionSteps.peek() <= stepIndex)) {
      admissionSteps.poll();
      scheduler.addRequest(admissions.poll());
    }
  }

  private void dropAdmission(Request r) {
    if (admissions.isEmpty()) {
      return;
    }
    var requests = admissions.iterator();
    var steps = admissionSteps.iterator();
    while (requests.hasNext()) {
      steps.next();
      if (requests.next() == r) {
        requests.remove();
        steps.remove();
        return;
      }
    }
  }

  private void applyDeferredAborts() {
    if (deferredAborts.isEmpty()) {
      return;
    }
    for (int i = deferredAborts.size() - 1; i >= 0; i--) {
      Request r = deferredAborts.get(i);
      if (r.abortAfterStep < stepIndex) {
        deferredAborts.remove(i);
        if (!r.status.isFinished()) {
          scheduler.abort(r);
          statsStepOwed = true;
        }
        forget(r);
      }
    }
  }

  /** check_stop, v0.13+ order: min_tokens guard, EOS, stop token ids, then length. */
  private @Nullable RequestStatus checkStop(Request r, int token) {
    int outputs = r.numOutputTokens();
    if (outputs < Math.min(r.minTokens, r.maxTokens)) {
      return null;
    }
    if (!r.ignoreEos && token == SyntheticVocabulary.EOS_TOKEN_ID) {
      return RequestStatus.FINISHED_STOPPED;
    }
    if (r.isStopToken(token)) {
      return RequestStatus.FINISHED_STOPPED;
    }
    if (r.numTokens() >= config.maxModelLen() || outputs >= r.maxTokens) {
      return RequestStatus.FINISHED_LENGTH_CAPPED;
    }
    return null;
  }

  /**
   * The front end's stop-string check on newly added text (after {@code min_tokens} outputs).
   * Truncates the text and records the stop reason when one is found.
   */
  private boolean findStopString(Request r, int previousLength) {
    List<String> stops = r.spec.stop();
    StringBuilder text = r.text;
    if (stops.isEmpty() || text == null || r.numOutputTokens() < r.minTokens) {
      return false;
    }
    int best = -1;
    String found = null;
    for (String s : stops) {
      if (s.isEmpty()) {
        continue;
      }
      int from = Math.max(0, previousLength - s.length() + 1);
      int at = text.indexOf(s, from);
      if (at >= 0 && (best < 0 || at < best)) {
        best = at;
        found = s;
      }
    }
    if (found == null) {
      return false;
    }
    text.setLength(r.spec.includeStopStrInOutput() ? best + found.length() : best);
    r.emittedChars = Math.min(r.emittedChars, text.length());
    r.finishReason = FinishReason.STOP;
    r.stopReason = found;
    return true;
  }

  private void emit(Request r, int token, long when, boolean finished) {
    OutputSink sink = r.sink;
    if (sink == null) {
      return;
    }
    int[] newTokens = token == NO_TOKEN ? new int[0] : new int[] {token};
    String newText = "";
    StringBuilder text = r.text;
    if (text != null) {
      int releasable = text.length();
      if (!finished && !r.spec.includeStopStrInOutput()) {
        // Hold back what could still turn out to be the start of a stop string.
        releasable -= maxStopLength(r) - 1;
      }
      if (releasable > r.emittedChars) {
        newText = text.substring(r.emittedChars, releasable);
        r.emittedChars = releasable;
      }
    }
    sink.accept(
        new RequestOutput(
            r.requestId,
            r.parentRequestId,
            r.index,
            newTokens,
            newText,
            r.numPromptTokens,
            Math.max(0, r.numCachedTokens),
            r.numOutputTokens(),
            finished ? r.finishReason : null,
            finished ? r.stopReason : null,
            when));
  }

  private static int maxStopLength(Request r) {
    int max = 1;
    for (String s : r.spec.stop()) {
      max = Math.max(max, s.length());
    }
    return max;
  }

  /** The request is done for its client and in the engine. */
  private void released(Request r) {
    if (!r.frontendFinished) {
      resultFor(r);
    }
    forget(r);
  }

  private void resultFor(Request r) {
    FinishReason reason = r.finishReason != null ? r.finishReason : FinishReason.ABORT;
    observer.onRequestFinished(
        new RequestResult(
            r.requestId,
            r.parentRequestId,
            r.index,
            r.numPromptTokens,
            r.numOutputTokens(),
            Math.max(0, r.numCachedTokens),
            r.maxTokens,
            r.numPreemptions,
            reason,
            r.stopReason,
            r.arrivalNanos,
            r.firstScheduledNanos,
            r.finishedNanos,
            Arrays.copyOf(r.tokenTimes, r.numTokenTimes),
            r.text == null ? null : r.text.toString()));
  }

  private void forget(Request r) {
    List<Request> siblings = byParentId.get(r.parentRequestId);
    if (siblings == null) {
      return;
    }
    for (Request s : siblings) {
      if (!s.status.isFinished()) {
        return;
      }
    }
    byParentId.remove(r.parentRequestId);
  }

  private static long mix(long a, long b) {
    long h = a * 0x9E3779B97F4A7C15L + b;
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    h ^= h >>> 29;
    return h;
  }
}
