package dev.llmemu.junit.load;

import dev.llmemu.junit.internal.ReportWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of a load run: every request's client-side measurements (and the engine's timing when
 * the server is llmemu), the server's queue and KV usage over time, and {@code vllm bench serve}'s
 * aggregates. {@link #toVllmBenchJson()} writes them under {@code vllm bench serve --save-result}'s
 * key names.
 */
public final class BenchmarkResult {
  private final String description;
  private final Instant startedAt;
  private final Duration duration;
  private final List<RequestRecord> requests;
  private final List<MetricsSample> metrics;
  private final Map<String, Object> settings;
  private final @Nullable Slo slo;

  /** Built by {@link LoadTest}; public so that results can be rebuilt from saved records. */
  public BenchmarkResult(
      String description,
      Instant startedAt,
      Duration duration,
      List<RequestRecord> requests,
      List<MetricsSample> metrics,
      Map<String, Object> settings,
      @Nullable Slo slo) {
    this.description = description;
    this.startedAt = startedAt;
    this.duration = duration;
    this.requests = List.copyOf(requests);
    this.metrics = List.copyOf(metrics);
    this.settings = new LinkedHashMap<>(settings);
    this.slo = slo;
  }

  /** What was run, in one line (target, arrivals, shapes). */
  public String description() {
    return description;
  }

  public Instant startedAt() {
    return startedAt;
  }

  /** From just before the first request was sent until the last one finished. */
  public Duration duration() {
    return duration;
  }

  /** Every measured request, warm-up excluded, in the order they were sent. */
  public List<RequestRecord> requests() {
    return requests;
  }

  /** The server's {@code /metrics} sampled during the run (empty if it has none). */
  public List<MetricsSample> metricsTimeline() {
    return metrics;
  }

  /** The SLO given to the load test, if any; it drives {@code request_goodput}. */
  public @Nullable Slo slo() {
    return slo;
  }

  public Map<String, Object> settings() {
    return new LinkedHashMap<>(settings);
  }

  public List<RequestRecord> successful() {
    return requests.stream().filter(RequestRecord::success).toList();
  }

  /** Requests that failed: HTTP errors, in-band stream errors, time-outs, connection drops. */
  public List<RequestRecord> errors() {
    return requests.stream().filter(r -> !r.success()).toList();
  }

  /** Failed requests by kind of failure, in {@link RequestError.Kind} order. */
  public Map<RequestError.Kind, Integer> errorCounts() {
    Map<RequestError.Kind, Integer> counts = new EnumMap<>(RequestError.Kind.class);
    for (RequestRecord r : requests) {
      RequestError e = r.error();
      if (e != null) {
        counts.merge(e.kind(), 1, Integer::sum);
      }
    }
    return counts;
  }

  /** Failed requests as a share of all requests sent (0..1; 0 for an empty run). */
  public double errorRate() {
    return requests.isEmpty() ? 0 : (double) failed() / requests.size();
  }

  public int completed() {
    return (int) requests.stream().filter(RequestRecord::success).count();
  }

  public int failed() {
    return requests.size() - completed();
  }

  public LatencyDistribution ttft() {
    return distribution("TTFT", RequestRecord::ttft);
  }

  /** Per request {@code (E2E − TTFT)/(n − 1)}, requests with more than one token only. */
  public LatencyDistribution tpot() {
    return distribution("TPOT", RequestRecord::tpot);
  }

  /** Every gap between consecutive streamed events, of every successful request. */
  public LatencyDistribution itl() {
    int total = 0;
    for (RequestRecord r : requests) {
      if (r.success()) {
        total += r.interTokenLatencyCount();
      }
    }
    long[] all = new long[total];
    int at = 0;
    for (RequestRecord r : requests) {
      if (r.success()) {
        long[] gaps = r.interTokenLatenciesNanos();
        System.arraycopy(gaps, 0, all, at, gaps.length);
        at += gaps.length;
      }
    }
    return new LatencyDistribution("ITL", all);
  }

  public LatencyDistribution e2eLatency() {
    return distribution("E2E latency", RequestRecord::e2eLatency);
  }

  /**
   * The engine's queue time per successful request: arrival to first scheduling (llmemu servers
   * only; empty otherwise). High TTFT with high queue time means the request waited for a slot.
   */
  public LatencyDistribution serverQueueTime() {
    return distribution("server queue time", r -> server(r, ServerTiming::queueTime));
  }

  /** The engine's prefill time per successful request (llmemu servers only). */
  public LatencyDistribution serverPrefillTime() {
    return distribution("server prefill time", r -> server(r, ServerTiming::prefillTime));
  }

  /** The engine's decode time per successful request (llmemu servers only). */
  public LatencyDistribution serverDecodeTime() {
    return distribution("server decode time", r -> server(r, ServerTiming::decodeTime));
  }

  /** Preemptions the engine reported, summed over requests (llmemu servers only). */
  public int serverPreemptions() {
    return requests.stream()
        .map(RequestRecord::server)
        .filter(Objects::nonNull)
        .mapToInt(ServerTiming::preemptions)
        .sum();
  }

  /** True if the engine's timing was attached to the requests (the server is llmemu). */
  public boolean hasServerTimings() {
    return requests.stream().anyMatch(r -> r.server() != null);
  }

  /** The most requests the server's {@code /metrics} showed waiting (0 without samples). */
  public double peakWaitingRequests() {
    return metrics.stream().mapToDouble(MetricsSample::waiting).max().orElse(0);
  }

  /** The most requests the server's {@code /metrics} showed running (0 without samples). */
  public double peakRunningRequests() {
    return metrics.stream().mapToDouble(MetricsSample::running).max().orElse(0);
  }

  /** The highest KV-cache usage the server's {@code /metrics} showed (0..1). */
  public double peakKvCacheUsage() {
    return metrics.stream().mapToDouble(MetricsSample::kvCacheUsage).max().orElse(0);
  }

  private static @Nullable Duration server(
      RequestRecord r, Function<ServerTiming, Duration> field) {
    ServerTiming t = r.server();
    return t == null ? null : field.apply(t);
  }

  private LatencyDistribution distribution(
      String name, Function<RequestRecord, @Nullable Duration> f) {
    long[] values =
        requests.stream()
            .filter(RequestRecord::success)
            .map(f)
            .filter(d -> d != null)
            .mapToLong(d -> d.toNanos())
            .toArray();
    return new LatencyDistribution(name, values);
  }

  public long totalInputTokens() {
    return requests.stream()
        .filter(RequestRecord::success)
        .mapToLong(RequestRecord::promptTokens)
        .sum();
  }

  public long totalOutputTokens() {
    return requests.stream()
        .filter(RequestRecord::success)
        .mapToLong(RequestRecord::outputTokens)
        .sum();
  }

  /** Completed requests per second. */
  public double requestThroughput() {
    return perSecond(completed());
  }

  /** Output tokens of completed requests per second. */
  public double outputThroughput() {
    return perSecond(totalOutputTokens());
  }

  /** Prompt plus output tokens of completed requests per second. */
  public double totalTokenThroughput() {
    return perSecond(totalInputTokens() + totalOutputTokens());
  }

  /**
   * Completed requests per second that met every objective of {@code slo} ({@code
   * request_goodput}).
   */
  public double goodput(Slo slo) {
    return perSecond(requests.stream().filter(slo::isMetBy).count());
  }

  /** Fraction of all requests (failed ones included) that met {@code slo}. */
  public double sloAttainment(Slo slo) {
    if (requests.isEmpty()) {
      return 0;
    }
    return (double) requests.stream().filter(slo::isMetBy).count() / requests.size();
  }

  /** The most requests in flight at once (exact sweep over [start, start + E2E)). */
  public int maxConcurrentRequests() {
    List<long[]> events = new ArrayList<>();
    for (RequestRecord r : successful()) {
      Duration e2e = r.e2eLatency();
      if (e2e == null) {
        continue;
      }
      events.add(new long[] {r.start().toNanos(), 1});
      events.add(new long[] {r.start().plus(e2e).toNanos(), -1});
    }
    events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
    int current = 0;
    int peak = 0;
    for (long[] e : events) {
      current += (int) e[1];
      peak = Math.max(peak, current);
    }
    return peak;
  }

  /** The most output events in any one-second bucket from the first start. */
  public double maxOutputTokensPerSecond() {
    List<RequestRecord> ok = successful();
    if (ok.isEmpty()) {
      return 0;
    }
    long min = ok.stream().mapToLong(r -> r.start().toNanos()).min().orElse(0);
    long max =
        ok.stream()
            .filter(r -> r.e2eLatency() != null)
            .mapToLong(r -> r.start().plus(r.e2eLatency()).toNanos())
            .max()
            .orElse(min);
    int buckets = (int) Math.ceil((max - min) / 1e9) + 1;
    double[] perSecond = new double[buckets];
    for (RequestRecord r : ok) {
      Duration ttft = r.ttft();
      if (ttft == null) {
        continue;
      }
      long t = r.start().plus(ttft).toNanos();
      add(perSecond, t - min);
      for (long gap : r.interTokenLatenciesNanos()) {
        t += gap;
        add(perSecond, t - min);
      }
    }
    return Arrays.stream(perSecond).max().orElse(0);
  }

  private static void add(double[] buckets, long offset) {
    int b = (int) (offset / 1_000_000_000L);
    if (b >= 0 && b < buckets.length) {
      buckets[b]++;
    }
  }

  private double perSecond(double count) {
    double s = duration.toNanos() / 1e9;
    return s <= 0 ? 0 : count / s;
  }

  /** The slowest requests by TTFT, slowest first. */
  public List<RequestRecord> slowestByTtft(int limit) {
    return requests.stream()
        .filter(r -> r.ttft() != null)
        .sorted(Comparator.comparing((RequestRecord r) -> r.ttft()).reversed())
        .limit(limit)
        .toList();
  }

  /**
   * The result as {@code vllm bench serve --save-result} writes it: aggregates under its key names
   * ({@code mean_ttft_ms}, {@code p99_tpot_ms}, {@code request_throughput}, …), per-request lists
   * ({@code ttfts}, {@code itls}, …) in seconds, plus llmemu's own additions under {@code llmemu_*}
   * keys (SLO attainment, server-side timing).
   */
  public Map<String, Object> toVllmBenchJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("date", startedAt.toString());
    json.putAll(settings);
    json.put("duration", duration.toNanos() / 1e9);
    json.put("completed", completed());
    json.put("failed", failed());
    json.put("total_input_tokens", totalInputTokens());
    json.put("total_output_tokens", totalOutputTokens());
    json.put("request_throughput", requestThroughput());
    json.put("request_goodput", slo == null ? null : goodput(slo));
    json.put("output_throughput", outputThroughput());
    json.put("total_token_throughput", totalTokenThroughput());
    json.put("input_lens", requests.stream().map(RequestRecord::promptTokens).toList());
    json.put(
        "output_lens", requests.stream().map(r -> r.success() ? r.outputTokens() : 0).toList());
    // As vllm bench: a failed request has TTFT and latency 0 and no gaps.
    json.put("ttfts", requests.stream().map(r -> r.success() ? seconds(r.ttft()) : 0.0).toList());
    json.put(
        "itls",
        requests.stream()
            .map(
                r ->
                    r.success()
                        ? Arrays.stream(r.interTokenLatenciesNanos())
                            .mapToObj(n -> n / 1e9)
                            .toList()
                        : List.<Double>of())
            .toList());
    json.put(
        "latencies",
        requests.stream().map(r -> r.success() ? seconds(r.e2eLatency()) : 0.0).toList());
    json.put("start_times", requests.stream().map(r -> seconds(r.start())).toList());
    json.put(
        "errors",
        requests.stream()
            .map(r -> r.error() == null ? "" : Objects.requireNonNull(r.error()).toString())
            .toList());
    json.put("max_output_tokens_per_s", maxOutputTokensPerSecond());
    json.put("max_concurrent_requests", maxConcurrentRequests());
    putStats(json, "ttft", ttft());
    putStats(json, "tpot", tpot());
    putStats(json, "itl", itl());
    putStats(json, "e2el", e2eLatency());
    json.put("llmemu_description", description);
    json.put("llmemu_error_counts", errorCounts());
    if (slo != null) {
      json.put("llmemu_slo", slo.toString());
      json.put("llmemu_slo_attainment", sloAttainment(slo));
    }
    if (hasServerTimings()) {
      putStats(json, "llmemu_server_queue_time", serverQueueTime());
      putStats(json, "llmemu_server_prefill_time", serverPrefillTime());
      putStats(json, "llmemu_server_decode_time", serverDecodeTime());
      json.put("llmemu_server_preemptions", serverPreemptions());
      json.put(
          "llmemu_server_queue_times",
          requests.stream().map(r -> seconds(server(r, ServerTiming::queueTime))).toList());
      json.put(
          "llmemu_server_preemptions_per_request",
          requests.stream()
              .map(r -> r.server() == null ? null : r.server().preemptions())
              .toList());
    }
    if (!metrics.isEmpty()) {
      json.put("llmemu_peak_waiting_requests", peakWaitingRequests());
      json.put("llmemu_peak_running_requests", peakRunningRequests());
      json.put("llmemu_peak_kv_cache_usage", peakKvCacheUsage());
      json.put(
          "llmemu_metrics_timeline",
          metrics.stream()
              .map(
                  m -> {
                    Map<String, Object> sample = new LinkedHashMap<>();
                    sample.put("t", m.at().toNanos() / 1e9);
                    sample.put("running", m.running());
                    sample.put("waiting", m.waiting());
                    sample.put("kv_cache_usage", m.kvCacheUsage());
                    return sample;
                  })
              .toList());
    }
    return json;
  }

  /** {@code vllm bench serve --metric-percentiles 50,90,95,99}. */
  private static final double[] PERCENTILES = {50, 90, 95, 99};

  private static void putStats(Map<String, Object> json, String metric, LatencyDistribution d) {
    json.put("mean_" + metric + "_ms", d.mean().toNanos() / 1e6);
    json.put("median_" + metric + "_ms", d.median().toNanos() / 1e6);
    json.put("std_" + metric + "_ms", d.standardDeviation().toNanos() / 1e6);
    for (double p : PERCENTILES) {
      json.put("p" + (int) p + "_" + metric + "_ms", d.percentile(p).toNanos() / 1e6);
    }
  }

  private static @Nullable Double seconds(@Nullable Duration d) {
    return d == null ? null : d.toNanos() / 1e9;
  }

  /**
   * Writes {@code <name>.json} ({@link #toVllmBenchJson()}) and {@code <name>.png} (latency CDFs
   * and the server's queue and KV usage over time) into {@code directory}; returns the files
   * written. The chart is skipped if this JVM cannot render text (no fonts installed).
   */
  public List<java.nio.file.Path> writeReport(java.nio.file.Path directory, String name) {
    List<java.nio.file.Path> written = new ArrayList<>();
    written.add(ReportWriter.writeJson(this, directory.resolve(name + ".json")));
    java.nio.file.Path chart = ReportWriter.writeChart(this, directory.resolve(name + ".png"));
    if (chart != null) {
      written.add(chart);
    }
    return written;
  }

  /**
   * A few lines for logs and report entries: what ran, completions and failures, throughput, and
   * the TTFT, TPOT, ITL and E2E summaries (plus the server's queue time against llmemu).
   */
  public String summary() {
    StringBuilder s = new StringBuilder();
    s.append(description)
        .append(
            String.format(
                Locale.ROOT,
                "%n  %d completed, %d failed%s in %.2f s: %.2f requests/s, %.1f output tokens/s",
                completed(),
                failed(),
                failed() == 0 ? "" : " " + errorCounts(),
                duration.toNanos() / 1e9,
                requestThroughput(),
                outputThroughput()));
    if (slo != null) {
      s.append(
          String.format(
              Locale.ROOT,
              "%n  %s: goodput %.2f requests/s, attainment %.1f%%",
              slo,
              goodput(slo),
              sloAttainment(slo) * 100));
    }
    for (LatencyDistribution d : List.of(ttft(), tpot(), itl(), e2eLatency())) {
      s.append("\n  ").append(d.summary());
    }
    if (hasServerTimings()) {
      s.append("\n  ").append(serverQueueTime().summary());
    }
    if (!metrics.isEmpty()) {
      s.append(
          String.format(
              Locale.ROOT,
              "%n  server peaks: %.0f running, %.0f waiting, KV cache %.1f%%",
              peakRunningRequests(),
              peakWaitingRequests(),
              peakKvCacheUsage() * 100));
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return "BenchmarkResult{"
        + description
        + ": "
        + completed()
        + " completed, "
        + failed()
        + " failed in "
        + LatencyDistribution.ms(duration)
        + "; "
        + ttft().summary()
        + "}";
  }
}
