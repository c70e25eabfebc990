package dev.llmemu.junit.load;

import java.time.Duration;

/**
 * What the server's engine saw of one request: how long it queued before its first scheduling, how
 * long its prefill took (first scheduling to first token), how long it decoded, how often it was
 * preempted, and how much of its prompt the prefix cache served. Only llmemu reports this (through
 * {@code /llmemu/requests}); against a real vLLM it is absent.
 */
public record ServerTiming(
    Duration queueTime,
    Duration prefillTime,
    Duration decodeTime,
    int preemptions,
    int cachedTokens) {}
