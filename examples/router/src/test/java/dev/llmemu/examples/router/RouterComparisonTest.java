package dev.llmemu.examples.router;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.ShareGptLengths;
import dev.llmemu.examples.router.ComparisonReport.Run;
import dev.llmemu.junit.EmulatedVllm;
import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LoadTest;
import dev.llmemu.junit.load.Slo;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Round-robin, least-outstanding-requests and the predictive router in front of the same three
 * replicas, on the same bursty workload at a ladder of request rates.
 *
 * <p>The replicas are {@link Replicas}, run at half the GPU's time ({@code --time-scale 0.5});
 * every latency and rate reported is converted back to the emulated GPU's time. Writes {@code
 * target/router-comparison/}: {@code results.json}, {@code table.md} and {@code
 * router-comparison.png}; each load run also leaves the library's own report under {@code
 * target/llmemu-reports}.
 */
@EmulatedVllm(
    profile = Replicas.PROFILE,
    replicas = RouterComparisonTest.REPLICAS,
    seed = 1,
    args = {
      "--max-num-seqs",
      Replicas.MAX_NUM_SEQS,
      Replicas.NO_PREFIX_CACHING,
      "--time-scale",
      RouterComparisonTest.TIME_SCALE
    })
class RouterComparisonTest {
  static final int REPLICAS = 3;
  static final String TIME_SCALE = "0.5";

  /**
   * Request rates of the emulated GPUs' time (the load driver sends them 1 / time scale faster).
   */
  static final double[] RATES = rates(System.getProperty("router.rates", "8,9,10,11"));

  static final int REQUESTS = Integer.getInteger("router.requests", 150);
  static final double BURSTINESS = 0.5; // gamma arrivals, burstier than Poisson
  static final long SEED = 7;
  static final Duration SLO_TTFT = Duration.ofMillis(500);
  static final Duration SLO_TPOT = Duration.ofMillis(50);
  static final double ATTAINMENT = 0.9;
  static final Duration SCRAPE_INTERVAL = Duration.ofMillis(50);
  static final Path OUT = Path.of("target", "router-comparison");

  private static double[] rates(String list) {
    return Arrays.stream(list.split(",")).mapToDouble(Double::parseDouble).toArray();
  }

  @Test
  void comparesTheRoutersOnOneBurstyWorkload(List<EmulatedVllmServer> replicas) {
    double scale = Double.parseDouble(TIME_SCALE);
    HardwareProfile profile = Replicas.profile();
    Map<String, Supplier<Router>> routers = new LinkedHashMap<>();
    routers.put("round-robin", RoundRobinRouter::new);
    routers.put("least-outstanding", LeastOutstandingRouter::new);
    routers.put(
        "predictive", () -> new PredictiveRouter(LatencyPredictor.of(profile), SCRAPE_INTERVAL));
    List<String> urls = replicas.stream().map(EmulatedVllmServer::baseUrl).toList();
    // The SLO in the GPU's time, measured in the scaled run's wall time.
    Slo slo = Slo.builder().ttft(scaled(SLO_TTFT, scale)).tpot(scaled(SLO_TPOT, scale)).build();

    List<Run> runs = new ArrayList<>();
    List<BenchmarkResult> results = new ArrayList<>();
    for (double rate : RATES) {
      for (Map.Entry<String, Supplier<Router>> router : routers.entrySet()) {
        try (RouterProxy proxy = RouterProxy.start(router.getValue().get(), urls)) {
          long start = System.nanoTime();
          BenchmarkResult r =
              LoadTest.against(proxy.baseUrl())
                  .openLoop(ArrivalProcess.gamma(rate / scale, BURSTINESS))
                  .requests(REQUESTS)
                  .lengths(ShareGptLengths.pairs())
                  .seed(SEED)
                  .slo(slo)
                  .metricsInterval(Duration.ofMillis(100))
                  // A stuck request fails its run, however long a run -Drouter.requests asks for.
                  .requestTimeout(Duration.ofMinutes(2))
                  .label(router.getKey() + "-" + ComparisonReport.rate(rate))
                  .run();
          double wall = (System.nanoTime() - start) / 1e9;
          results.add(r);
          runs.add(run(router.getKey(), rate, r, slo, scale, proxy.dispatchedPerBackend(), wall));
          System.out.println(router.getKey() + " at " + rate + " req/s: " + r.summary());
        }
      }
    }

    Map<String, Double> sustained = new LinkedHashMap<>();
    for (String router : routers.keySet()) {
      sustained.put(router, ComparisonReport.sustainedRate(runs, router, ATTAINMENT));
    }
    String sloText =
        String.format(
            Locale.ROOT,
            "≥ %.0f%% of requests within TTFT %d ms and TPOT %d ms",
            100 * ATTAINMENT,
            SLO_TTFT.toMillis(),
            SLO_TPOT.toMillis());
    ComparisonReport.writeJson(OUT.resolve("results.json"), settings(), runs, sustained);
    String table = ComparisonReport.markdown(runs, sustained, ATTAINMENT, sloText);
    ComparisonReport.writeText(OUT.resolve("table.md"), table);
    System.out.println(table);
    // The TTFT distributions where they matter: the highest rate some router still sustains.
    double cdfRate =
        runs.stream()
            .filter(r -> r.sloAttainment() >= ATTAINMENT)
            .mapToDouble(Run::rate)
            .max()
            .orElse(RATES[0]);
    ComparisonReport.writeChart(
        OUT.resolve("router-comparison.png"),
        List.copyOf(routers.keySet()),
        runs,
        cdfRate,
        scale,
        ATTAINMENT,
        String.format(
            Locale.ROOT,
            "%d × %s replicas (--max-num-seqs %s), gamma arrivals (burstiness %.1f), %d"
                + " ShareGPT-like requests per run, seed %d; emulated GPU time",
            REPLICAS,
            Replicas.PROFILE,
            Replicas.MAX_NUM_SEQS,
            BURSTINESS,
            REQUESTS,
            SEED));

    // What holds on any machine: every router served every request and used every replica,
    // round-robin in equal shares. The latencies depend on the machine and are reported only.
    for (BenchmarkResult r : results) {
      assertThat(r).hasNoErrors().hasCompleted(REQUESTS);
    }
    for (Run r : runs) {
      assertThat(r.perBackend()).as(r.router()).allSatisfy(n -> assertThat(n).isPositive());
      if (r.router().equals("round-robin")) {
        long share = REQUESTS / REPLICAS;
        assertThat(r.perBackend()).allSatisfy(n -> assertThat(n).isBetween(share, share + 1));
      }
    }
  }

  private static Run run(
      String router,
      double rate,
      BenchmarkResult r,
      Slo slo,
      double scale,
      List<Long> perBackend,
      double wall) {
    return new Run(
        router,
        rate,
        REQUESTS,
        r.completed(),
        r.failed(),
        ms(r.ttft().p50(), scale),
        ms(r.ttft().p99(), scale),
        ms(r.e2eLatency().p50(), scale),
        ms(r.e2eLatency().p99(), scale),
        ms(r.tpot().p50(), scale),
        r.sloAttainment(slo),
        r.goodput(slo) * scale,
        ms(r.serverQueueTime().mean(), scale),
        r.peakWaitingRequests(),
        perBackend,
        wall,
        r.ttft().sortedNanos());
  }

  private static Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("date", Instant.now().toString());
    s.put("profile", Replicas.PROFILE);
    s.put("replicas", REPLICAS);
    s.put("max_num_seqs", Integer.parseInt(Replicas.MAX_NUM_SEQS));
    s.put("enable_prefix_caching", false);
    s.put("time_scale", Double.parseDouble(TIME_SCALE));
    s.put(
        "note",
        "latencies in ms and rates in req/s of the emulated GPU's time (wall / time scale)");
    s.put("arrivals", "gamma, burstiness " + BURSTINESS);
    s.put("lengths", "ShareGPT-like (dev.llmemu.engine.workload.ShareGptLengths), ignore_eos");
    s.put("requests_per_run", REQUESTS);
    s.put("seed", SEED);
    s.put("rates", RATES);
    s.put("slo_ttft_ms", SLO_TTFT.toMillis());
    s.put("slo_tpot_ms", SLO_TPOT.toMillis());
    s.put("slo_attainment_target", ATTAINMENT);
    s.put("predictive_scrape_interval_ms", SCRAPE_INTERVAL.toMillis());
    s.put("available_processors", Runtime.getRuntime().availableProcessors());
    s.put("java", System.getProperty("java.version"));
    return s;
  }

  private static Duration scaled(Duration d, double scale) {
    return Duration.ofNanos(Math.round(d.toNanos() * scale));
  }

  private static double ms(Duration d, double scale) {
    return d.toNanos() / 1e6 / scale;
  }
}
