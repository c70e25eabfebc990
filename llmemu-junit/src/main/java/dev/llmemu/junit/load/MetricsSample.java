package dev.llmemu.junit.load;

import java.time.Duration;

/**
 * The server's scheduler state at one moment of a load run, scraped from its {@code /metrics}:
 * {@code vllm:num_requests_running}, {@code vllm:num_requests_waiting} and {@code
 * vllm:kv_cache_usage_perc} (0..1).
 */
public record MetricsSample(Duration at, double running, double waiting, double kvCacheUsage) {}
