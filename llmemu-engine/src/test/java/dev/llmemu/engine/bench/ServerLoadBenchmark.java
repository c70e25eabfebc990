package dev.llmemu.engine.bench;

import dev.llmemu.engine.StepLatencyModel;
import dev.llmemu.engine.server.EmulatedVllmServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP server's load benchmark (not a unit test): a one-thread NIO SSE client over loopback
 * against an in-process {@link EmulatedVllmServer} with a constant step. Scenarios:
 *
 * <ul>
 *   <li>{@code itl}: 256 concurrent streams at a constant 10 ms step; client-observed inter-token
 *       gaps (mean, p50, p99, p99.9, max).
 *   <li>{@code concurrency}: 1,024 concurrent streams held open for several seconds; errors, peak
 *       concurrently streaming, gaps.
 *   <li>{@code sweep}: the {@code itl} scenario at 32, 64, 128 and 256 streams.
 *   <li>{@code startup}: call to {@code start()} until the first {@code GET /health} 200, in fresh
 *       JVMs (child processes) and warm (repeated in one JVM).
 * </ul>
 *
 * Run with {@code bench/server-load.sh [itl|concurrency|startup|all]}; figures go to
 * docs/benchmarks.md ("HTTP server"). {@code -Dllmemu.bench.ioThreads=N} sets the server's event
 * loops; {@code -Dllmemu.bench.isolate=true} pins the server's threads to CPU 0 and the client and
 * the rest of the JVM to CPU 1 for the {@code itl} run (see {@link ThreadStats}).
 */
public final class ServerLoadBenchmark {
  private ServerLoadBenchmark() {}

  public static void main(String[] args) throws Exception {
    String what = args.length == 0 ? "all" : args[0];
    System.out.printf(
        Locale.ROOT,
        "machine: %d cores, java %s (%s), max heap %d MiB%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        Runtime.getRuntime().maxMemory() >> 20);
    switch (what) {
      case "startup-once" -> {
        System.out.println("startup-ms " + startupOnce());
        return;
      }
      case "itl" -> itl(256, 10, 400);
      case "sweep" -> {
        for (int n : new int[] {32, 64, 128, 256}) {
          itl(n, 10, 400);
        }
      }
      case "concurrency" -> concurrency(1024, 10, 600);
      case "startup" -> startup();
      case "all" -> {
        startup();
        itl(256, 10, 400);
        concurrency(1024, 10, 600);
      }
      default -> throw new IllegalArgumentException("unknown scenario " + what);
    }
  }

  private static final int SERVER_CPU = 0;
  private static final int CLIENT_CPU = 1;

  static EmulatedVllmServer server(int stepMillis, int maxNumSeqs) {
    EmulatedVllmServer.Builder b = EmulatedVllmServer.builder();
    String io = System.getProperty("llmemu.bench.ioThreads");
    if (io != null) {
      b.ioThreads(Integer.parseInt(io));
    }
    return b.latencyModel(StepLatencyModel.constant(Duration.ofMillis(stepMillis)))
        .engineConfig(
            c ->
                c.maxNumSeqs(maxNumSeqs)
                    .maxNumBatchedTokens(Math.max(8192, maxNumSeqs * 16))
                    .numGpuBlocks(200_000))
        .recordRequests(false)
        .seed(1)
        .start();
  }

  static String body(int maxTokens) {
    return "{\"prompt\":\"Benchmark prompt: tell me a long story.\",\"max_tokens\":"
        + maxTokens
        + ",\"ignore_eos\":true,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
  }

  record Outcome(List<SseLoadClient.Stream> streams, long peakStreaming, double seconds) {}

  static Outcome drive(EmulatedVllmServer server, int n, int maxTokens, Duration timeout)
      throws IOException {
    List<SseLoadClient.Stream> streams =
        SseLoadClient.streams(n, "127.0.0.1", server.port(), "/v1/completions", body(maxTokens));
    AtomicLong peak = new AtomicLong();
    long t0 = System.nanoTime();
    SseLoadClient.run(
        new InetSocketAddress("127.0.0.1", server.port()),
        streams,
        t0 + timeout.toNanos(),
        open -> peak.accumulateAndGet(open, Math::max));
    return new Outcome(streams, peak.get(), (System.nanoTime() - t0) / 1e9);
  }

  static void itl(int n, int stepMillis, int maxTokens) throws IOException {
    System.out.printf(Locale.ROOT, "load average before: %s%n", loadAverage());
    try (EmulatedVllmServer server = server(stepMillis, 1024)) {
      System.out.println("warm-up: 2 rounds of " + n + " streams x 200 tokens");
      drive(server, n, 200, Duration.ofMinutes(2));
      drive(server, n, 200, Duration.ofMinutes(2));
      System.out.printf(
          Locale.ROOT,
          "%n== itl: %d concurrent streams, constant %d ms step, %d tokens each%n",
          n,
          stepMillis,
          maxTokens);
      if (Boolean.getBoolean("llmemu.bench.isolate")) {
        ThreadStats.isolate(SERVER_CPU, CLIENT_CPU);
      }
      Map<String, ThreadStats> before = ThreadStats.snapshot();
      Outcome o = drive(server, n, maxTokens, Duration.ofMinutes(3));
      report(o, maxTokens, stepMillis);
      ThreadStats.report(before, ThreadStats.snapshot());
    }
  }

  static void concurrency(int n, int stepMillis, int maxTokens) throws IOException {
    System.out.printf(Locale.ROOT, "load average before: %s%n", loadAverage());
    try (EmulatedVllmServer server = server(stepMillis, Math.max(1024, n))) {
      System.out.println("warm-up: 256 streams x 100 tokens");
      drive(server, 256, 100, Duration.ofMinutes(2));
      System.out.printf(
          Locale.ROOT,
          "%n== concurrency: %d concurrent streams, constant %d ms step, %d tokens each (~%.1f s)%n",
          n,
          stepMillis,
          maxTokens,
          maxTokens * stepMillis / 1000.0);
      Outcome o = drive(server, n, maxTokens, Duration.ofMinutes(5));
      report(o, maxTokens, stepMillis);
      System.out.printf(
          Locale.ROOT,
          "server after run: running=%d waiting=%d kv=%.3f finished=%d%n",
          server.metrics().numRequestsRunning(),
          server.metrics().numRequestsWaiting(),
          server.metrics().kvCacheUsage(),
          server.metrics().requestsFinished());
    }
  }

  static void report(Outcome o, int maxTokens, int stepMillis) {
    int ok = 0;
    int incomplete = 0;
    List<String> errors = new ArrayList<>();
    long merged = 0;
    int totalGaps = 0;
    for (SseLoadClient.Stream s : o.streams()) {
      if (s.ok() && s.completionTokens == maxTokens) {
        ok++;
      } else if (s.ok()) {
        incomplete++;
      } else if (errors.size() < 5) {
        errors.add("stream " + s.id + ": " + s.error);
      }
      merged += Math.max(0, maxTokens - s.events);
      totalGaps += Math.max(0, s.events - 1);
    }
    long[] gaps = new long[totalGaps];
    int k = 0;
    long[] ttft = new long[o.streams().size()];
    int t = 0;
    for (SseLoadClient.Stream s : o.streams()) {
      for (long g : s.gaps()) {
        gaps[k++] = g;
      }
      if (s.firstEventNanos > 0) {
        ttft[t++] = s.firstEventNanos - s.startNanos;
      }
    }
    Arrays.sort(gaps);
    long[] ttfts = Arrays.copyOf(ttft, t);
    Arrays.sort(ttfts);
    double mean = Arrays.stream(gaps).average().orElse(Double.NaN) / 1e6;
    int failed = o.streams().size() - ok - incomplete;
    System.out.printf(
        Locale.ROOT,
        "streams: %d ok, %d incomplete, %d failed; peak concurrently streaming: %d; wall %.2f s%n",
        ok,
        incomplete,
        failed,
        o.peakStreaming(),
        o.seconds());
    errors.forEach(e -> System.out.println("  " + e));
    System.out.printf(
        Locale.ROOT,
        "events merged by back-pressure: %d of %d tokens%n",
        merged,
        (long) maxTokens * o.streams().size());
    System.out.printf(
        Locale.ROOT,
        "inter-token gaps (%d): mean %.3f ms (%+.2f%% vs %d ms), p50 %.3f, p90 %.3f, p99 %.3f,"
            + " p99.9 %.3f, max %.3f ms%n",
        gaps.length,
        mean,
        (mean - stepMillis) / stepMillis * 100,
        stepMillis,
        pct(gaps, 50),
        pct(gaps, 90),
        pct(gaps, 99),
        pct(gaps, 99.9),
        gaps.length == 0 ? Double.NaN : gaps[gaps.length - 1] / 1e6);
    System.out.printf(
        Locale.ROOT,
        "TTFT (client, from burst start): p50 %.1f ms, p99 %.1f ms%n",
        pct(ttfts, 50),
        pct(ttfts, 99));
  }

  static String loadAverage() {
    try {
      return java.nio.file.Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (IOException e) {
      return "n/a";
    }
  }

  static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  // ------------------------------------------------------------------ start-up

  /** In this JVM: builder().start() until GET /health answers 200; returns milliseconds. */
  static double startupOnce() throws IOException {
    long t0 = System.nanoTime();
    try (EmulatedVllmServer server = EmulatedVllmServer.builder().recordRequests(false).start()) {
      while (!healthy(server.port())) {
        Thread.onSpinWait();
      }
      return (System.nanoTime() - t0) / 1e6;
    }
  }

  static boolean healthy(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      out.write(
          "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] head = in.readNBytes(12);
      return new String(head, StandardCharsets.US_ASCII).equals("HTTP/1.1 200");
    } catch (IOException e) {
      return false;
    }
  }

  static void startup() throws Exception {
    System.out.println("\n== startup: builder().start() until the first GET /health 200");
    int runs = 5;
    double[] fresh = new double[runs];
    double[] process = new double[runs];
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      Process p =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  ServerLoadBenchmark.class.getName(),
                  "startup-once")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(60, TimeUnit.SECONDS);
      process[i] = (System.nanoTime() - t0) / 1e6;
      String line =
          out.lines()
              .filter(l -> l.startsWith("startup-ms "))
              .findFirst()
              .orElseThrow(() -> new IllegalStateException(out));
      fresh[i] = Double.parseDouble(line.substring("startup-ms ".length()));
    }
    Arrays.sort(fresh);
    Arrays.sort(process);
    System.out.printf(
        Locale.ROOT,
        "fresh JVM (%d runs): in-process start-up median %.0f ms (min %.0f, max %.0f);"
            + " whole child process incl. JVM boot and exit median %.0f ms%n",
        runs,
        fresh[runs / 2],
        fresh[0],
        fresh[runs - 1],
        process[runs / 2]);
    int warmRuns = 20;
    double[] warm = new double[warmRuns];
    for (int i = 0; i < 5; i++) {
      startupOnce();
    }
    for (int i = 0; i < warmRuns; i++) {
      warm[i] = startupOnce();
    }
    Arrays.sort(warm);
    System.out.printf(
        Locale.ROOT,
        "warm JVM (%d runs after 5 warm-ups): median %.1f ms, p90 %.1f ms%n",
        warmRuns,
        warm[warmRuns / 2],
        warm[(int) (warmRuns * 0.9)]);
  }
}
