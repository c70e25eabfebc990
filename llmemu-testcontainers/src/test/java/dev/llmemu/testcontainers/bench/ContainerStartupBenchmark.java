package dev.llmemu.testcontainers.bench;

import dev.llmemu.testcontainers.LlmemuContainer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Container start-up time (docs/benchmarks.md, "Container"): starts the llmemu image {@code runs}
 * times, one container at a time, and reports how long {@link LlmemuContainer#start()} takes until
 * {@code GET /health} answers 200, and how much of that the server spends after Docker started its
 * process. Run with {@code bench/container-startup.sh [runs] [serve flags...]}.
 */
public final class ContainerStartupBenchmark {
  private ContainerStartupBenchmark() {}

  public static void main(String[] args) {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    String[] flags =
        args.length > 1 ? java.util.Arrays.copyOfRange(args, 1, args.length) : new String[0];
    String image = System.getProperty("llmemu.image", LlmemuContainer.bundledImage());
    List<Double> total = new ArrayList<>();
    List<Double> inContainer = new ArrayList<>();
    List<Double> stop = new ArrayList<>();
    System.out.printf(
        Locale.ROOT, "image %s, serve flags %s, %d runs%n", image, List.of(flags), runs);
    System.out.println("run  start()->healthy  process start->healthy  stop");
    for (int i = 1; i <= runs; i++) {
      try (LlmemuContainer c = new LlmemuContainer(image).withServeArgs(flags)) {
        long t0 = System.nanoTime();
        c.start();
        long t1 = System.nanoTime();
        Instant healthy = Instant.now();
        Instant started = Instant.parse(c.getContainerInfo().getState().getStartedAt());
        double ms = (t1 - t0) / 1e6;
        double inside = Duration.between(started, healthy).toNanos() / 1e6;
        long s0 = System.nanoTime();
        c.stop();
        double stopMs = (System.nanoTime() - s0) / 1e6;
        total.add(ms);
        inContainer.add(inside);
        stop.add(stopMs);
        System.out.printf(
            Locale.ROOT, "%3d  %10.0f ms  %16.0f ms  %8.0f ms%n", i, ms, inside, stopMs);
      }
    }
    System.out.println();
    report("start() -> healthy", total);
    report("process start -> healthy", inContainer);
    report("stop()", stop);
  }

  private static void report(String what, List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    double median =
        n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    System.out.printf(
        Locale.ROOT,
        "%-26s median %5.0f ms  range %5.0f-%5.0f ms%n",
        what,
        median,
        sorted.get(0),
        sorted.get(n - 1));
  }
}
