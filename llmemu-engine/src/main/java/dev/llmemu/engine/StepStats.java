package dev.llmemu.engine;

/**
 * What one engine step did, reported to {@link EngineObserver#onStep} after the step, as vLLM's
 * per-step scheduler and iteration stats.
 *
 * @param index step number, from 0
 * @param startNanos engine time the step was scheduled
 * @param endNanos engine time the step's outputs were produced
 * @param scheduledTokens tokens computed in the step
 * @param scheduledRequests requests in the step's batch
 * @param newRequests requests admitted for the first time
 * @param numRunning {@code len(running)} after the step
 * @param numWaiting {@code len(waiting)} after the step, preempted requests included
 * @param kvCacheUsage block-pool usage after the step, 0..1
 * @param generatedTokens output tokens produced in the step
 * @param firstTokenPromptTokens prompt tokens of requests that got their first token this step
 * @param preemptions requests preempted in the step
 * @param prefixCacheQueries tokens looked up in the prefix cache (not counting preempted requests)
 * @param prefixCacheHits tokens found by those lookups
 * @param deliveredNanos engine time the step's outputs reach their clients: {@code endNanos}, or
 *     later when the profile models vLLM's API-server cost per output
 */
public record StepStats(
    long index,
    long startNanos,
    long endNanos,
    int scheduledTokens,
    int scheduledRequests,
    int newRequests,
    int numRunning,
    int numWaiting,
    double kvCacheUsage,
    int generatedTokens,
    int firstTokenPromptTokens,
    int preemptions,
    long prefixCacheQueries,
    long prefixCacheHits,
    long deliveredNanos) {}
