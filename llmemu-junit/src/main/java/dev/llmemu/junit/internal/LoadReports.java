package dev.llmemu.junit.internal;

import dev.llmemu.junit.load.BenchmarkResult;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Writes every load run's report and connects it to the test that ran it.
 *
 * <p>A load run has no {@link ExtensionContext}; the extension hands it over through an inheritable
 * thread-local, set before each test and cleared after it. Inheritable, so that a test run in a
 * separate thread ({@code @Timeout(threadMode = SEPARATE_THREAD)}) or a thread the test starts
 * still reports to it. A context is marked finished when its test ends, so a thread that inherited
 * it and outlives the test (a pool thread) never reports to a finished test.
 */
public final class LoadReports {
  /** System property naming the reports directory (default {@code target/llmemu-reports}). */
  public static final String DIRECTORY_PROPERTY = "llmemu.reports.dir";

  private static final InheritableThreadLocal<@Nullable Current> CURRENT =
      new InheritableThreadLocal<>();
  private static final AtomicInteger OUTSIDE_TESTS = new AtomicInteger();

  /** The test a thread reports to. */
  public static final class Current {
    final ExtensionContext context;
    final AtomicInteger runs = new AtomicInteger();
    volatile boolean finished;

    Current(ExtensionContext context) {
      this.context = context;
    }
  }

  private LoadReports() {}

  /**
   * Load runs on this thread (and threads it starts) report to {@code context} until {@link #end}.
   */
  public static Current begin(ExtensionContext context) {
    Current c = new Current(context);
    CURRENT.set(c);
    return c;
  }

  public static void end(Current current) {
    current.finished = true;
    if (CURRENT.get() == current) {
      CURRENT.remove();
    }
  }

  /** The reports directory: {@code -Dllmemu.reports.dir}, else {@code target/llmemu-reports}. */
  public static Path directory() {
    String dir = System.getProperty(DIRECTORY_PROPERTY);
    return dir != null ? Paths.get(dir) : Paths.get("target", "llmemu-reports");
  }

  /**
   * Called by a finished load run: writes the report files (named after the test when inside one)
   * and, inside a test with the extension, publishes report entries: the summary and the files.
   */
  public static List<Path> finished(
      BenchmarkResult result, String label, @Nullable Path directory) {
    Current c = CURRENT.get();
    if (c != null && c.finished) {
      c = null;
    }
    String name;
    if (c != null) {
      ExtensionContext ctx = c.context;
      name =
          ctx.getRequiredTestClass().getSimpleName()
              + "."
              + ctx.getTestMethod().map(m -> m.getName()).orElse("class")
              + "-"
              + label
              + "-"
              + c.runs.incrementAndGet();
    } else {
      name = label + "-" + OUTSIDE_TESTS.incrementAndGet();
    }
    name = name.replaceAll("[^A-Za-z0-9._-]", "_");
    List<Path> files = result.writeReport(directory != null ? directory : directory(), name);
    if (c != null) {
      ExtensionContext ctx = c.context;
      ctx.publishReportEntry("llmemu.load." + label, result.summary());
      for (Path f : files) {
        String kind = f.getFileName().toString().endsWith(".json") ? "json" : "chart";
        ctx.publishReportEntry("llmemu.report." + kind, f.toAbsolutePath().toString());
      }
    }
    return files;
  }
}
