package dev.llmemu.engine.server;

import java.util.Map;

/**
 * A snapshot of the server's {@code vllm:*} metrics, as of the last engine step.
 *
 * @param numRequestsRunning {@code vllm:num_requests_running}
 * @param numRequestsWaiting {@code vllm:num_requests_waiting}
 * @param kvCacheUsage {@code vllm:kv_cache_usage_perc}, 0..1
 * @param promptTokens {@code vllm:prompt_tokens_total}
 * @param generationTokens {@code vllm:generation_tokens_total}
 * @param numPreemptions {@code vllm:num_preemptions_total}
 * @param prefixCacheQueries {@code vllm:prefix_cache_queries_total}
 * @param prefixCacheHits {@code vllm:prefix_cache_hits_total}
 * @param requestSuccess {@code vllm:request_success_total} by finish reason ("stop", "length")
 */
public record ServerMetrics(
    int numRequestsRunning,
    int numRequestsWaiting,
    double kvCacheUsage,
    long promptTokens,
    long generationTokens,
    long numPreemptions,
    long prefixCacheQueries,
    long prefixCacheHits,
    Map<String, Long> requestSuccess) {

  public ServerMetrics {
    requestSuccess = Map.copyOf(requestSuccess);
  }

  /** Finished requests, all finish reasons together. */
  public long requestsFinished() {
    return requestSuccess.values().stream().mapToLong(Long::longValue).sum();
  }
}
