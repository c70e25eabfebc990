package dev.llmemu.junit.internal;

import dev.llmemu.junit.load.BenchmarkResult;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Connects load runs to the test that runs them: while an {@code @EmulatedVllm} test runs on a
 * thread, every {@code LoadTest.run()} on that thread writes its report (JSON and chart) under the
 * reports directory and publishes JUnit report entries for it.
 */
public final class LoadReports {
  /** System property naming the reports directory (default {@code target/llmemu-reports}). */
  public static final String DIRECTORY_PROPERTY = "llmemu.reports.dir";

  private static final ThreadLocal<@Nullable Current> CURRENT = new ThreadLocal<>();

  private record Current(ExtensionContext context, AtomicInteger runs) {}

  private LoadReports() {}

  public static void begin(ExtensionContext context) {
    CURRENT.set(new Current(context, new AtomicInteger()));
  }

  public static void end() {
    CURRENT.remove();
  }

  /** The reports directory: {@code -Dllmemu.reports.dir}, else {@code target/llmemu-reports}. */
  public static Path directory() {
    String dir = System.getProperty(DIRECTORY_PROPERTY);
    return dir != null ? Paths.get(dir) : Paths.get("target", "llmemu-reports");
  }

  /**
   * Called by a finished load run: inside a test with the extension, writes the report and
   * publishes entries; elsewhere, does nothing.
   */
  public static void finished(BenchmarkResult result, String label) {
    Current c = CURRENT.get();
    if (c == null) {
      return;
    }
    ExtensionContext ctx = c.context();
    String test =
        ctx.getRequiredTestClass().getSimpleName()
            + "."
            + ctx.getTestMethod().map(m -> m.getName()).orElse("class");
    String name =
        (test + "-" + label + "-" + c.runs().incrementAndGet())
            .replaceAll("[^A-Za-z0-9._-]", "_")
            .toLowerCase(Locale.ROOT);
    List<Path> files = result.writeReport(directory(), name);
    ctx.publishReportEntry("llmemu.load." + label, result.toString());
    for (Path f : files) {
      ctx.publishReportEntry("llmemu.report", f.toAbsolutePath().toString());
    }
  }
}
