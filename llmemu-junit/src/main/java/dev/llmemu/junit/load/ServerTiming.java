package dev.llmemu.junit.load;

import java.time.Duration;

/**
 * What the server's engine saw of one request: how long it queued before it was first scheduled,
 * how long its prefill took (first scheduling to first token), how long it decoded (first to last
 * token), how often it was preempted, how many prompt tokens it counted and how many of them the
 * prefix cache served. Only llmemu reports this (through {@code GET /llmemu/requests}); against
 * another server it is absent. With {@code --time-scale} these are emulated-GPU times scaled as the
 * server runs them, the same clock the client measures.
 *
 * @param queueTime arrival in the engine to first scheduling (vLLM's queued interval)
 * @param prefillTime first scheduling to first token (vLLM's prefill interval)
 * @param decodeTime first token to last token (vLLM's decode interval)
 * @param preemptions how often the scheduler preempted the request (KV cache pressure)
 * @param promptTokens prompt tokens as the server counted them
 * @param cachedTokens prompt tokens served from the prefix cache
 */
public record ServerTiming(
    Duration queueTime,
    Duration prefillTime,
    Duration decodeTime,
    int preemptions,
    int promptTokens,
    int cachedTokens) {}
