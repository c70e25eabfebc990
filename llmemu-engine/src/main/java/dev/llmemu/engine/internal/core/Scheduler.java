package dev.llmemu.engine.internal.core;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.SchedulingPolicy;
import java.util.ArrayList;
import java.util.List;

/**
 * vLLM's v1 scheduler ({@code vllm/v1/core/sched/scheduler.py}, sync mode, v0.13+ rules): running
 * requests first under the token budget, then waiting requests while budget, {@code max_num_seqs}
 * and KV blocks allow; chunked prefill; preemption by recompute when blocks run out; no admission
 * in a step that preempted. A state machine: no clock, no threads.
 */
public final class Scheduler {
  private final EngineConfig config;
  private final KvCacheManager kv;
  private final WaitingQueue waiting;
  private final List<Request> running = new ArrayList<>();
  private final ScheduledBatch batch = new ScheduledBatch();
  private final List<Request> preemptedThisStep = new ArrayList<>();

  private long prefixQueries;
  private long prefixHits;

  public Scheduler(EngineConfig config, KvCacheManager kv) {
    this.config = config;
    this.kv = kv;
    this.waiting = WaitingQueue.create(config.schedulingPolicy());
  }

  void addRequest(Request r) {
    kv.updateBlockHashes(r);
    waiting.add(r);
  }

  public int numRunning() {
    return running.size();
  }

  public int numWaiting() {
    return waiting.size();
  }

  public boolean hasWork() {
    return !running.isEmpty() || !waiting.isEmpty();
  }

  List<Request> running() {
    return running;
  }

  /** Requests preempted by the last {@link #schedule} call. */
  List<Request> preempted() {
    return preemptedThisStep;
  }

  /** Prefix-cache tokens queried and hit by the last {@link #schedule} call. */
  long prefixQueries() {
    return prefixQueries;
  }

  long prefixHits() {
    return prefixHits;
  }

  /** One {@code schedule()} call. {@code now} stamps first scheduling. */
  public ScheduledBatch schedule(long now) {
    batch.clear();
    preemptedThisStep.clear();
    prefixQueries = 0;
    prefixHits = 0;
    int budget = config.maxNumBatchedTokens();
    int threshold = config.longPrefillTokenThreshold();

    // Phase A: running requests, in admission order.
    int i = 0;
    while (i < running.size() && budget > 0) {
      Request r = running.get(i);
      int n = r.numTokens() - r.numComputedTokens;
      if (threshold > 0 && n > threshold) {
        n = threshold;
      }
      n = Math.min(n, budget);
      n = Math.min(n, config.maxModelLen() - 1 - r.numComputedTokens);
      if (n <= 0) {
        i++;
        continue;
      }
      boolean scheduled = true;
      while (!kv.allocateSlots(r, n, IntListEmpty.INSTANCE, 0)) {
        Request victim;
        if (config.schedulingPolicy() == SchedulingPolicy.PRIORITY) {
          victim = lowestPriority();
          int at = running.indexOf(victim);
          running.remove(at);
          int refund = batch.removeRequest(victim);
          if (refund >= 0) {
            budget += refund;
            i--;
          }
        } else {
          victim = running.remove(running.size() - 1);
        }
        preempt(victim);
        if (victim == r) {
          scheduled = false;
          break;
        }
      }
      if (!scheduled) {
        break;
      }
      batch.add(r, n, false);
      budget -= n;
      i++;
    }

    // Phase B: waiting requests, only if nothing was preempted.
    if (preemptedThisStep.isEmpty()) {
      while (!waiting.isEmpty() && budget > 0) {
        if (running.size() >= config.maxNumSeqs()) {
          break;
        }
        Request r = waiting.peek();
        int hitTokens = 0;
        IntList hits = IntListEmpty.INSTANCE;
        if (r.numComputedTokens == 0) {
          hitTokens = kv.findCachedPrefix(r);
          hits = kv.hitBlocks();
          if (r.numPreemptions == 0) {
            // v0.11+: lookups of preempted requests are kept out of the exported counters.
            prefixQueries += r.numTokens();
            prefixHits += hitTokens;
          }
        }
        int n = r.numTokens() - hitTokens;
        if (threshold > 0 && n > threshold) {
          n = threshold;
        }
        if (!config.enableChunkedPrefill() && n > budget) {
          break;
        }
        n = Math.min(n, budget);
        if (!kv.allocateSlots(r, n, hits, hitTokens)) {
          break; // head-of-line blocking: no preemption on admission
        }
        waiting.poll();
        running.add(r);
        boolean brandNew = !r.everScheduled;
        if (r.firstScheduledNanos < 0) {
          r.firstScheduledNanos = Math.max(now, r.arrivalNanos);
        }
        r.everScheduled = true;
        r.status = RequestStatus.RUNNING;
        r.numComputedTokens = hitTokens;
        if (r.numCachedTokens < 0) {
          r.numCachedTokens = hitTokens;
        }
        batch.add(r, n, brandNew);
        budget -= n;
      }
    }

    // Phase C: computed counts advance now, before the forward pass runs.
    for (int k = 0; k < batch.size; k++) {
      Request r = batch.requests[k];
      batch.contextBefore[k] = r.numComputedTokens;
      r.numComputedTokens += batch.tokens[k];
    }
    batch.classify();
    return batch;
  }

  private Request lowestPriority() {
    // max over running by (priority, arrival). vLLM's Python max keeps the FIRST of equals, which
    // livelocks the n > 1 choices of one request (same priority and arrival) under KV pressure:
    // each preempts the one closest to finishing. We take the LAST of equals (the most recently
    // admitted, as FCFS does), which differs from vLLM only on exact ties and always progresses.
    Request worst = running.get(0);
    for (int k = 1; k < running.size(); k++) {
      Request r = running.get(k);
      int p = Integer.compare(r.spec.priority(), worst.spec.priority());
      if (p > 0 || (p == 0 && r.arrivalNanos >= worst.arrivalNanos)) {
        worst = r;
      }
    }
    return worst;
  }

  private void preempt(Request victim) {
    kv.free(victim);
    victim.status = RequestStatus.PREEMPTED;
    victim.numComputedTokens = 0;
    victim.numPreemptions++;
    waiting.prepend(victim);
    preemptedThisStep.add(victim);
  }

  /** Removes a finished request from running (after its step) and frees its blocks. */
  void finish(Request r, RequestStatus status) {
    r.status = status;
    kv.free(r);
  }

  /** Drops finished requests from {@code running}, keeping order. */
  void compactRunning() {
    running.removeIf(r -> r.status.isFinished());
  }

  /** Aborts a request wherever it is, freeing its blocks. */
  void abort(Request r) {
    if (r.status == RequestStatus.RUNNING) {
      running.remove(r);
    } else if (r.status == RequestStatus.WAITING || r.status == RequestStatus.PREEMPTED) {
      waiting.remove(r);
    }
    r.status = RequestStatus.FINISHED_ABORTED;
    kv.free(r);
  }

  /** An always-empty list, for "no prefix hit". */
  static final class IntListEmpty {
    static final IntList INSTANCE = new IntList(0);

    private IntListEmpty() {}
  }
}
