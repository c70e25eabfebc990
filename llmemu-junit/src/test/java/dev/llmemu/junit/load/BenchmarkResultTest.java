package dev.llmemu.junit.load;

import static java.time.Duration.ofMillis;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchmarkResultTest {

  static RequestRecord ok(int i, long startMs, long ttftMs, long[] itlMs, int outputTokens) {
    long[] itl = new long[itlMs.length];
    long e2e = ttftMs;
    for (int k = 0; k < itlMs.length; k++) {
      itl[k] = itlMs[k] * 1_000_000L;
      e2e += itlMs[k];
    }
    return new RequestRecord(
        i,
        "r" + i,
        ofMillis(startMs),
        100,
        outputTokens,
        200,
        null,
        ofMillis(ttftMs),
        itl,
        ofMillis(e2e),
        null);
  }

  static RequestRecord failed(int i, long startMs) {
    return new RequestRecord(
        i,
        "r" + i,
        ofMillis(startMs),
        100,
        0,
        500,
        new RequestError(RequestError.Kind.HTTP_STATUS, "HTTP 500: boom"),
        null,
        new long[0],
        null,
        null);
  }

  static BenchmarkResult result(List<RequestRecord> records, Duration duration, Slo slo) {
    return new BenchmarkResult("test", Instant.EPOCH, duration, records, List.of(), Map.of(), slo);
  }

  @Test
  void percentilesInterpolateLinearlyAsNumpy() {
    LatencyDistribution d =
        LatencyDistribution.of(
            "x", ofMillis(1), ofMillis(2), ofMillis(3), ofMillis(4), ofMillis(10));
    // np.percentile([1,2,3,4,10], 90) = 4 + 0.6 * (10 - 4) = 7.6
    assertThat(d.percentile(90)).isEqualTo(Duration.ofNanos(7_600_000));
    assertThat(d.median()).isEqualTo(ofMillis(3));
    assertThat(d.mean()).isEqualTo(ofMillis(4));
    // np.std([1,2,3,4,10]) = sqrt(10) = 3.1623
    assertThat(d.standardDeviation().toNanos() / 1e6).isCloseTo(3.1623, within(1e-4));
    assertThat(LatencyDistribution.of("empty").p99()).isZero();
  }

  @Test
  void aggregatesFollowVllmBench() {
    Slo slo = Slo.builder().ttft(ofMillis(100)).tpot(ofMillis(20)).build();
    List<RequestRecord> records =
        List.of(
            ok(0, 0, 50, new long[] {10, 10, 10}, 4), // tpot 10: good
            ok(1, 100, 150, new long[] {10}, 2), // ttft 150: bad
            ok(2, 200, 50, new long[] {40, 40}, 3), // tpot 40: bad
            ok(3, 300, 80, new long[0], 1), // one token: tpot counts as 0, good
            failed(4, 400));
    BenchmarkResult r = result(records, Duration.ofSeconds(2), slo);

    assertThat(r.completed()).isEqualTo(4);
    assertThat(r.failed()).isEqualTo(1);
    assertThat(r.requestThroughput()).isEqualTo(2.0);
    assertThat(r.outputThroughput()).isEqualTo(5.0);
    assertThat(r.totalTokenThroughput()).isEqualTo((400 + 10) / 2.0);
    assertThat(r.goodput(slo)).isEqualTo(1.0);
    assertThat(r.sloAttainment(slo)).isEqualTo(0.4);
    assertThat(r.tpot().count()).isEqualTo(3);
    assertThat(r.itl().count()).isEqualTo(6);
    // [0,80) [100,260) [200,330) [300,380): at most 2 at once
    assertThat(r.maxConcurrentRequests()).isEqualTo(2);

    Map<String, Object> json = r.toVllmBenchJson();
    assertThat(json)
        .containsKeys(
            "duration",
            "completed",
            "failed",
            "total_input_tokens",
            "total_output_tokens",
            "request_throughput",
            "request_goodput",
            "output_throughput",
            "total_token_throughput",
            "input_lens",
            "output_lens",
            "ttfts",
            "itls",
            "latencies",
            "errors",
            "max_output_tokens_per_s",
            "max_concurrent_requests",
            "mean_ttft_ms",
            "median_ttft_ms",
            "std_ttft_ms",
            "p99_ttft_ms",
            "mean_tpot_ms",
            "median_tpot_ms",
            "p99_tpot_ms",
            "mean_itl_ms",
            "p99_itl_ms",
            "mean_e2el_ms",
            "p99_e2el_ms");
    assertThat(json.get("request_goodput")).isEqualTo(1.0);
    assertThat((double) json.get("mean_ttft_ms"))
        .isCloseTo((50 + 150 + 50 + 80) / 4.0, within(1e-9));
    assertThat(json.get("output_lens")).isEqualTo(List.of(4, 2, 3, 1, 0));
    // as vllm bench: a failed request has TTFT and latency 0, no gaps, and its error
    assertThat(json.get("ttfts")).isEqualTo(List.of(0.05, 0.15, 0.05, 0.08, 0.0));
    assertThat(json.get("latencies")).isEqualTo(List.of(0.08, 0.16, 0.13, 0.08, 0.0));
    assertThat((List<?>) json.get("itls")).last().isEqualTo(List.of());
    assertThat(json.get("errors"))
        .isEqualTo(List.of("", "", "", "", "HTTP_STATUS: HTTP 500: boom"));
    assertThat(json.get("llmemu_error_counts")).isEqualTo(Map.of(RequestError.Kind.HTTP_STATUS, 1));
    assertThat(json.get("llmemu_slo_attainment")).isEqualTo(0.4);
    assertThat(json).doesNotContainKey("llmemu_server_queue_times");
  }

  @Test
  void writesJsonAndChart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    List<RequestRecord> records = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      records.add(ok(i, i * 20L, 20 + i, new long[] {10, 12, 9}, 4));
    }
    List<MetricsSample> timeline =
        List.of(
            new MetricsSample(ofMillis(0), 1, 0, 0.1), new MetricsSample(ofMillis(500), 5, 2, 0.4));
    BenchmarkResult r =
        new BenchmarkResult(
            "chart", Instant.EPOCH, Duration.ofSeconds(1), records, timeline, Map.of(), null);

    List<java.nio.file.Path> files = r.writeReport(dir, "run");

    assertThat(files).containsExactly(dir.resolve("run.json"), dir.resolve("run.png"));
    assertThat(java.nio.file.Files.readString(dir.resolve("run.json"))).contains("\"p99_ttft_ms\"");
    java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(dir.resolve("run.png").toFile());
    assertThat(png.getWidth()).isEqualTo(1000);
    assertThat(png.getHeight()).isEqualTo(900);
  }
}
