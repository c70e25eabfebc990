package dev.llmemu.engine.internal.server;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.EngineObserver;
import dev.llmemu.engine.FinishReason;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.StepStats;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * vLLM's {@code vllm:*} Prometheus metrics (v0.18 names, types, labels and buckets; see
 * docs/http-api.md), fed by the engine's {@link EngineObserver} hooks on the executive thread and
 * exposed through client_java's text format 0.0.4 writer.
 */
public final class VllmMetrics implements EngineObserver {
  static final double[] REQUEST_LATENCY_BUCKETS = {
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0,
    480.0, 960.0, 1920.0, 7680.0
  };
  static final double[] TTFT_BUCKETS = {
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    20.0, 40.0, 80.0, 160.0, 640.0, 2560.0
  };
  static final double[] ITL_BUCKETS = {
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
    40.0, 80.0
  };
  static final double[] ITERATION_TOKENS_BUCKETS = {
    1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384
  };
  static final double[] N_BUCKETS = {1, 2, 5, 10, 20};

  /** The finish reasons vLLM v0.18 pre-creates a {@code request_success} child for. */
  static final List<String> FINISH_REASONS =
      List.of("stop", "length", "abort", "error", "repetition");

  private static final String ENGINE = "0";
  private static final double NANOS = 1e9;

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer =
      PrometheusTextFormatWriter.builder()
          .setIncludeCreatedTimestamps(true)
          .setTimestampsInMs(false)
          .build();
  private final String modelName;

  private final Gauge running;
  private final Gauge waiting;
  private final Gauge kvUsage;
  private final Gauge sleepState;
  private final Counter prefixQueries;
  private final Counter prefixHits;
  private final Counter preemptions;
  private final Counter promptTokens;
  private final Counter generationTokens;
  private final Counter requestSuccess;
  private final Histogram requestPromptTokens;
  private final Histogram requestGenerationTokens;
  private final Histogram iterationTokens;
  private final Histogram maxNumGenerationTokens;
  private final Histogram paramsN;
  private final Histogram paramsMaxTokens;
  private final Histogram ttft;
  private final Histogram itl;
  private final Histogram tpot;
  private final Histogram e2e;
  private final Histogram queueTime;
  private final Histogram prefillTime;
  private final Histogram decodeTime;
  private final Histogram inferenceTime;
  private final Histogram prefillKvComputed;

  // The label children updated every step, looked up once: labelValues() hashes on every call.
  private final GaugeDataPoint runningDp;
  private final GaugeDataPoint waitingDp;
  private final GaugeDataPoint kvUsageDp;
  private final CounterDataPoint prefixQueriesDp;
  private final CounterDataPoint prefixHitsDp;
  private final CounterDataPoint preemptionsDp;
  private final CounterDataPoint promptTokensDp;
  private final CounterDataPoint generationTokensDp;
  private final DistributionDataPoint iterationTokensDp;
  private final DistributionDataPoint ttftDp;
  private final DistributionDataPoint itlDp;

  // Readable snapshot values, written on the executive thread.
  private volatile int lastRunning;
  private volatile int lastWaiting;
  private volatile double lastKvUsage;
  private final Map<FinishReason, Long> finished = new EnumMap<>(FinishReason.class);
  private final Map<String, ParentState> parents = new ConcurrentHashMap<>();

  public VllmMetrics(String modelName, EngineConfig config) {
    this.modelName = modelName;
    running = gauge("vllm:num_requests_running", "Number of requests in model execution batches.");
    waiting = gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.");
    kvUsage = gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.");
    sleepState =
        Gauge.builder()
            .name("vllm:engine_sleep_state")
            .help(
                "Engine sleep state; awake = 0 means engine is sleeping; awake = 1 means engine"
                    + " is awake; weights_offloaded = 1 means sleep level 1; discard_all = 1 means"
                    + " sleep level 2.")
            .labelNames("engine", "model_name", "sleep_state")
            .register(registry);
    prefixQueries =
        counter(
            "vllm:prefix_cache_queries",
            "Prefix cache queries, in terms of number of queried tokens.");
    prefixHits =
        counter(
            "vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.");
    Counter externalQueries =
        counter(
            "vllm:external_prefix_cache_queries",
            "External prefix cache queries from KV connector cross-instance cache sharing, in"
                + " terms of number of queried tokens.");
    Counter externalHits =
        counter(
            "vllm:external_prefix_cache_hits",
            "External prefix cache hits from KV connector cross-instance cache sharing, in terms"
                + " of number of cached tokens.");
    Counter mmQueries =
        counter(
            "vllm:mm_cache_queries",
            "Multi-modal cache queries, in terms of number of queried items.");
    Counter mmHits =
        counter(
            "vllm:mm_cache_hits", "Multi-modal cache hits, in terms of number of cached items.");
    preemptions =
        counter("vllm:num_preemptions", "Cumulative number of preemption from the engine.");
    promptTokens = counter("vllm:prompt_tokens", "Number of prefill tokens processed.");
    generationTokens = counter("vllm:generation_tokens", "Number of generation tokens processed.");
    requestSuccess =
        Counter.builder()
            .name("vllm:request_success")
            .help("Count of successfully processed requests.")
            .labelNames("engine", "finished_reason", "model_name")
            .register(registry);
    int maxLen = config.maxModelLen();
    double[] oneTwoFive = oneTwoFiveBuckets(maxLen);
    requestPromptTokens =
        histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.", oneTwoFive);
    requestGenerationTokens =
        histogram(
            "vllm:request_generation_tokens", "Number of generation tokens processed.", oneTwoFive);
    iterationTokens =
        histogram(
            "vllm:iteration_tokens_total",
            "Histogram of number of tokens per engine_step.",
            ITERATION_TOKENS_BUCKETS);
    maxNumGenerationTokens =
        histogram(
            "vllm:request_max_num_generation_tokens",
            "Histogram of maximum number of requested generation tokens.",
            oneTwoFive);
    paramsN =
        histogram("vllm:request_params_n", "Histogram of the n request parameter.", N_BUCKETS);
    paramsMaxTokens =
        histogram(
            "vllm:request_params_max_tokens",
            "Histogram of the max_tokens request parameter.",
            oneTwoFive);
    ttft =
        histogram(
            "vllm:time_to_first_token_seconds",
            "Histogram of time to first token in seconds.",
            TTFT_BUCKETS);
    itl =
        histogram(
            "vllm:inter_token_latency_seconds",
            "Histogram of inter-token latency in seconds.",
            ITL_BUCKETS);
    tpot =
        histogram(
            "vllm:request_time_per_output_token_seconds",
            "Histogram of time_per_output_token_seconds per request.",
            ITL_BUCKETS);
    e2e =
        histogram(
            "vllm:e2e_request_latency_seconds",
            "Histogram of e2e request latency in seconds.",
            REQUEST_LATENCY_BUCKETS);
    queueTime =
        histogram(
            "vllm:request_queue_time_seconds",
            "Histogram of time spent in WAITING phase for request.",
            REQUEST_LATENCY_BUCKETS);
    inferenceTime =
        histogram(
            "vllm:request_inference_time_seconds",
            "Histogram of time spent in RUNNING phase for request.",
            REQUEST_LATENCY_BUCKETS);
    prefillTime =
        histogram(
            "vllm:request_prefill_time_seconds",
            "Histogram of time spent in PREFILL phase for request.",
            REQUEST_LATENCY_BUCKETS);
    decodeTime =
        histogram(
            "vllm:request_decode_time_seconds",
            "Histogram of time spent in DECODE phase for request.",
            REQUEST_LATENCY_BUCKETS);
    prefillKvComputed =
        histogram(
            "vllm:request_prefill_kv_computed_tokens",
            "Histogram of new KV tokens computed during prefill (excluding cached tokens).",
            oneTwoFive);
    Gauge cacheConfig =
        Gauge.builder()
            .name("vllm:cache_config_info")
            .help("Information of the LLMEngine CacheConfig")
            .labelNames(
                "block_size",
                "cache_dtype",
                "enable_prefix_caching",
                "engine",
                "num_gpu_blocks",
                "prefix_caching_hash_algo")
            .register(registry);
    cacheConfig
        .labelValues(
            Integer.toString(config.blockSize()),
            "auto",
            config.enablePrefixCaching() ? "True" : "False",
            ENGINE,
            Integer.toString(config.numGpuBlocks()),
            "sha256")
        .set(1);

    runningDp = running.labelValues(ENGINE, modelName);
    waitingDp = waiting.labelValues(ENGINE, modelName);
    kvUsageDp = kvUsage.labelValues(ENGINE, modelName);
    prefixQueriesDp = prefixQueries.labelValues(ENGINE, modelName);
    prefixHitsDp = prefixHits.labelValues(ENGINE, modelName);
    preemptionsDp = preemptions.labelValues(ENGINE, modelName);
    promptTokensDp = promptTokens.labelValues(ENGINE, modelName);
    generationTokensDp = generationTokens.labelValues(ENGINE, modelName);
    iterationTokensDp = iterationTokens.labelValues(ENGINE, modelName);
    ttftDp = ttft.labelValues(ENGINE, modelName);
    itlDp = itl.labelValues(ENGINE, modelName);

    // vLLM creates every label child at start-up, so every series exists before any traffic.
    running.labelValues(ENGINE, modelName).set(0);
    waiting.labelValues(ENGINE, modelName).set(0);
    kvUsage.labelValues(ENGINE, modelName).set(0);
    sleepState.labelValues(ENGINE, modelName, "awake").set(1);
    sleepState.labelValues(ENGINE, modelName, "weights_offloaded").set(0);
    sleepState.labelValues(ENGINE, modelName, "discard_all").set(0);
    for (Counter c :
        List.of(
            prefixQueries,
            prefixHits,
            externalQueries,
            externalHits,
            mmQueries,
            mmHits,
            preemptions,
            promptTokens,
            generationTokens)) {
      c.labelValues(ENGINE, modelName).inc(0);
    }
    for (String reason : FINISH_REASONS) {
      requestSuccess.labelValues(ENGINE, reason, modelName).inc(0);
    }
    for (Histogram h :
        List.of(
            requestPromptTokens,
            requestGenerationTokens,
            iterationTokens,
            maxNumGenerationTokens,
            paramsN,
            paramsMaxTokens,
            ttft,
            itl,
            tpot,
            e2e,
            queueTime,
            inferenceTime,
            prefillTime,
            decodeTime,
            prefillKvComputed)) {
      h.labelValues(ENGINE, modelName);
    }
  }

  /** The registry /metrics exposes, for the API server's own {@link HttpMetrics}. */
  PrometheusRegistry registry() {
    return registry;
  }

  /** vLLM's {@code build_1_2_5_buckets}: 1, 2, 5, 10, 20, 50, … up to {@code max}. */
  static double[] oneTwoFiveBuckets(int max) {
    List<Double> out = new ArrayList<>();
    long exponent = 1;
    while (true) {
      for (int m : new int[] {1, 2, 5}) {
        long v = m * exponent;
        if (v > max) {
          return out.stream().mapToDouble(Double::doubleValue).toArray();
        }
        out.add((double) v);
      }
      exponent *= 10;
    }
  }

  private Gauge gauge(String name, String help) {
    return Gauge.builder()
        .name(name)
        .help(help)
        .labelNames("engine", "model_name")
        .register(registry);
  }

  private Counter counter(String name, String help) {
    return Counter.builder()
        .name(name)
        .help(help)
        .labelNames("engine", "model_name")
        .register(registry);
  }

  private Histogram histogram(String name, String help, double[] buckets) {
    return Histogram.builder()
        .name(name)
        .help(help)
        .classicOnly()
        .classicUpperBounds(buckets)
        .withoutExemplars()
        .labelNames("engine", "model_name")
        .register(registry);
  }

  /** Registers a request's {@code n} so that per-parent histograms are observed once. */
  public void onSubmitted(String parentRequestId, int n) {
    parents.put(parentRequestId, new ParentState(n));
  }

  /** Forgets a request the engine will never report (refused, or aborted before it finished). */
  public void forget(String parentRequestId) {
    parents.remove(parentRequestId);
  }

  @Override
  public void onStep(StepStats s) {
    lastRunning = s.numRunning();
    lastWaiting = s.numWaiting();
    lastKvUsage = s.kvCacheUsage();
    runningDp.set(s.numRunning());
    waitingDp.set(s.numWaiting());
    kvUsageDp.set(s.kvCacheUsage());
    if (s.prefixCacheQueries() > 0) {
      prefixQueriesDp.inc(s.prefixCacheQueries());
      prefixHitsDp.inc(s.prefixCacheHits());
    }
    if (s.preemptions() > 0) {
      preemptionsDp.inc(s.preemptions());
    }
    if (s.firstTokenPromptTokens() > 0) {
      promptTokensDp.inc(s.firstTokenPromptTokens());
    }
    if (s.generatedTokens() > 0) {
      generationTokensDp.inc(s.generatedTokens());
    }
    int iteration = s.firstTokenPromptTokens() + s.generatedTokens();
    if (iteration > 0) {
      iterationTokensDp.observe(iteration);
    }
  }

  @Override
  public void onFirstToken(String requestId, long ttftNanos) {
    ttftDp.observe(ttftNanos / NANOS);
  }

  @Override
  public void onInterTokenLatency(long nanos) {
    itlDp.observe(nanos / NANOS);
  }

  @Override
  public void onRequestFinished(RequestResult r) {
    if (r.finishReason() == FinishReason.ABORT) {
      // vLLM drops a disconnected client's request state before its abort is counted.
      ParentState p = parents.get(r.parentRequestId());
      if (p != null && p.childFinished(r.outputTokens())) {
        parents.remove(r.parentRequestId());
      }
      return;
    }
    synchronized (finished) {
      finished.merge(r.finishReason(), 1L, Long::sum);
    }
    requestSuccess.labelValues(ENGINE, r.finishReason().wireName(), modelName).inc();
    e2e.labelValues(ENGINE, modelName).observe(seconds(r.e2eLatency()));
    Duration queue = r.queueTime();
    if (queue != null) {
      queueTime.labelValues(ENGINE, modelName).observe(seconds(queue));
    }
    Duration prefill = r.prefillTime();
    if (prefill != null) {
      prefillTime.labelValues(ENGINE, modelName).observe(seconds(prefill));
    }
    Duration decode = r.decodeTime();
    if (decode != null) {
      decodeTime.labelValues(ENGINE, modelName).observe(seconds(decode));
    }
    if (r.firstScheduledNanos() >= 0) {
      inferenceTime
          .labelValues(ENGINE, modelName)
          .observe((r.finishedNanos() - r.firstScheduledNanos()) / NANOS);
    }
    double perToken =
        decode == null || r.outputTokens() <= 1 ? 0 : seconds(decode) / (r.outputTokens() - 1);
    tpot.labelValues(ENGINE, modelName).observe(perToken);
    requestPromptTokens.labelValues(ENGINE, modelName).observe(r.promptTokens());
    requestGenerationTokens.labelValues(ENGINE, modelName).observe(r.outputTokens());
    paramsMaxTokens.labelValues(ENGINE, modelName).observe(r.maxTokens());
    prefillKvComputed
        .labelValues(ENGINE, modelName)
        .observe(Math.max(0, r.promptTokens() - Math.max(0, r.cachedTokens())));
    ParentState p = parents.get(r.parentRequestId());
    if (p == null) {
      paramsN.labelValues(ENGINE, modelName).observe(1);
      maxNumGenerationTokens.labelValues(ENGINE, modelName).observe(r.outputTokens());
    } else if (p.childFinished(r.outputTokens())) {
      parents.remove(r.parentRequestId());
      paramsN.labelValues(ENGINE, modelName).observe(p.n);
      maxNumGenerationTokens.labelValues(ENGINE, modelName).observe(p.maxOutput);
    }
  }

  private static double seconds(Duration d) {
    return d.toNanos() / NANOS;
  }

  /** Prometheus text format 0.0.4, as vLLM's {@code /metrics} serves it. */
  public void writeText(OutputStream out) throws IOException {
    writer.write(out, registry.scrape(), EscapingScheme.ALLOW_UTF8);
  }

  public String text() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writeText(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  public String contentType() {
    return "text/plain; version=0.0.4; charset=utf-8";
  }

  public int lastRunning() {
    return lastRunning;
  }

  public int lastWaiting() {
    return lastWaiting;
  }

  public double lastKvUsage() {
    return lastKvUsage;
  }

  /** Finished requests by reason (client-disconnect aborts excluded, as in vLLM). */
  public Map<FinishReason, Long> finishedByReason() {
    synchronized (finished) {
      return Map.copyOf(finished);
    }
  }

  public double counterValue(String name) {
    return switch (name) {
      case "vllm:prompt_tokens" -> promptTokens.labelValues(ENGINE, modelName).get();
      case "vllm:generation_tokens" -> generationTokens.labelValues(ENGINE, modelName).get();
      case "vllm:num_preemptions" -> preemptions.labelValues(ENGINE, modelName).get();
      case "vllm:prefix_cache_queries" -> prefixQueries.labelValues(ENGINE, modelName).get();
      case "vllm:prefix_cache_hits" -> prefixHits.labelValues(ENGINE, modelName).get();
      default -> throw new IllegalArgumentException("no such counter: " + name);
    };
  }

  private static final class ParentState {
    final int n;
    int done;
    int maxOutput;

    ParentState(int n) {
      this.n = n;
    }

    synchronized boolean childFinished(int outputTokens) {
      maxOutput = Math.max(maxOutput, outputTokens);
      return ++done >= n;
    }
  }
}
