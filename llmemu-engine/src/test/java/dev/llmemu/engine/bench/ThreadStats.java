package dev.llmemu.engine.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What the Linux scheduler did to this JVM's threads during a run, from {@code
 * /proc/self/task/<tid>/sched}: CPU time, involuntary context switches (the thread was preempted
 * while it had work) and migrations between CPUs. On a machine with few cores these explain most of
 * the spread of inter-token gaps, so the load benchmark prints them next to the gaps. Also pins
 * threads to CPUs with {@code taskset}, to measure the server with the load client off its core.
 * Linux only; elsewhere the statistics are empty.
 */
record ThreadStats(String name, long runNanos, long switches, long involuntary, long migrations) {
  private static final Path TASKS = Path.of("/proc/self/task");

  /** The scheduler statistics of every thread of this JVM, by "name/tid". */
  static Map<String, ThreadStats> snapshot() {
    Map<String, ThreadStats> out = new TreeMap<>();
    if (!Files.isDirectory(TASKS)) {
      return out;
    }
    for (Path task : tasks()) {
      try {
        String name = Files.readString(task.resolve("comm")).strip();
        long run = 0;
        long switches = 0;
        long involuntary = 0;
        long migrations = 0;
        for (String line : Files.readAllLines(task.resolve("sched"))) {
          int colon = line.indexOf(':');
          if (colon < 0) {
            continue;
          }
          String value = line.substring(colon + 1).strip();
          switch (line.substring(0, colon).strip()) {
            case "se.sum_exec_runtime" -> run = Math.round(Double.parseDouble(value) * 1e6);
            case "nr_switches" -> switches = Long.parseLong(value);
            case "nr_involuntary_switches" -> involuntary = Long.parseLong(value);
            case "se.nr_migrations" -> migrations = Long.parseLong(value);
            default -> {}
          }
        }
        out.put(
            name + "/" + task.getFileName(),
            new ThreadStats(name, run, switches, involuntary, migrations));
      } catch (IOException | RuntimeException e) {
        // the thread ended while we read it, or the kernel does not expose these fields
      }
    }
    return out;
  }

  /** Prints, for each thread that used more than 10 ms of CPU between the snapshots, the deltas. */
  static void report(Map<String, ThreadStats> before, Map<String, ThreadStats> after) {
    if (after.isEmpty()) {
      return;
    }
    System.out.println(
        "threads during the run (CPU time, context switches, of them involuntary,"
            + " CPU migrations):");
    after.forEach(
        (key, a) -> {
          ThreadStats b = before.getOrDefault(key, new ThreadStats(a.name, 0, 0, 0, 0));
          long run = a.runNanos - b.runNanos;
          if (run > 10_000_000) {
            System.out.printf(
                Locale.ROOT,
                "  %-24s %6.0f ms  %6d switches  %6d involuntary  %5d migrations%n",
                key,
                run / 1e6,
                a.switches - b.switches,
                a.involuntary - b.involuntary,
                a.migrations - b.migrations);
          }
        });
  }

  /**
   * Pins the server's threads (named {@code llmemu-*}) to {@code serverCpu} and every other thread
   * of this JVM (the load client, JIT compilers, GC) to {@code clientCpu}, with {@code taskset}.
   */
  static void isolate(int serverCpu, int clientCpu) throws IOException {
    for (Path task : tasks()) {
      String name = Files.readString(task.resolve("comm")).strip();
      int cpu = name.startsWith("llmemu-") ? serverCpu : clientCpu;
      String tid = task.getFileName().toString();
      try {
        Process p =
            new ProcessBuilder("taskset", "-p", "-c", Integer.toString(cpu), tid)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
          throw new IOException("taskset -p -c " + cpu + " " + tid + " failed: " + out.strip());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "isolated: server threads (llmemu-*) on CPU %d, load client and the rest of the JVM on CPU"
            + " %d%n",
        serverCpu,
        clientCpu);
  }

  private static List<Path> tasks() {
    try (Stream<Path> s = Files.list(TASKS)) {
      return s.toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
