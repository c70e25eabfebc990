package dev.llmemu.junit.load;

import dev.llmemu.junit.internal.ReportWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        total += r.interTokenLatenciesNanos().length;
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

  /** The engine's queue time per request (llmemu servers only; empty otherwise). */
  public LatencyDistribution serverQueueTime() {
    return distribution(
        "server queue time", r -> r.server() == null ? null : r.server().queueTime());
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

  /** Requests per second that met every objective of {@code slo} ({@code request_goodput}). */
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
    json.put("ttfts", requests.stream().map(r -> seconds(r.ttft())).toList());
    json.put(
        "itls",
        requests.stream()
            .map(r -> Arrays.stream(r.interTokenLatenciesNanos()).mapToObj(n -> n / 1e9).toList())
            .toList());
    json.put("latencies", requests.stream().map(r -> seconds(r.e2eLatency())).toList());
    json.put("start_times", requests.stream().map(r -> seconds(r.start())).toList());
    json.put("errors", requests.stream().map(r -> r.error() == null ? "" : r.error()).toList());
    json.put("max_output_tokens_per_s", maxOutputTokensPerSecond());
    json.put("max_concurrent_requests", maxConcurrentRequests());
    putStats(json, "ttft", ttft());
    putStats(json, "tpot", tpot());
    putStats(json, "itl", itl());
    putStats(json, "e2el", e2eLatency());
    if (slo != null) {
      json.put("llmemu_slo", slo.toString());
      json.put("llmemu_slo_attainment", sloAttainment(slo));
    }
    if (requests.stream().anyMatch(r -> r.server() != null)) {
      json.put(
          "llmemu_server_queue_times",
          requests.stream()
              .map(r -> r.server() == null ? null : seconds(r.server().queueTime()))
              .toList());
      json.put(
          "llmemu_server_preemptions",
          requests.stream()
              .map(r -> r.server() == null ? null : r.server().preemptions())
              .toList());
    }
    return json;
  }

  private static void putStats(Map<String, Object> json, String metric, LatencyDistribution d) {
    json.put("mean_" + metric + "_ms", d.mean().toNanos() / 1e6);
    json.put("median_" + metric + "_ms", d.median().toNanos() / 1e6);
    json.put("std_" + metric + "_ms", d.standardDeviation().toNanos() / 1e6);
    for (double p : new double[] {50, 90, 95, 99}) {
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

  @Override
  public String toString() {
    return "BenchmarkResult{"
        + description
        + ": "
        + completed()
        + " completed, "
        + failed()
        + " failed in "
        + duration
        + "; "
        + ttft().summary()
        + "}";
  }
}
