package dev.llmemu.junit.testkit;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.EventType;

/** Runs {@code *TestCases} fixtures through the Jupiter engine, as junit-pioneer does. */
public final class TestKit {
  private TestKit() {}

  /** Runs the classes with the given configuration parameters (nothing global is changed). */
  public static EngineExecutionResults run(Map<String, String> parameters, Class<?>... classes) {
    EngineTestKit.Builder b = EngineTestKit.engine("junit-jupiter");
    for (Class<?> c : classes) {
      b.selectors(selectClass(c));
    }
    b.configurationParameters(parameters);
    return b.execute();
  }

  public static EngineExecutionResults run(Class<?>... classes) {
    return run(Map.of(), classes);
  }

  /** The exception that failed a container (class) or test, in event order. */
  public static List<Throwable> failures(EngineExecutionResults results) {
    return results.allEvents().failed().stream()
        .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable())
        .flatMap(Optional::stream)
        .toList();
  }

  /** Every report entry published during the run, keys and values flattened. */
  public static List<Map.Entry<String, String>> reportEntries(EngineExecutionResults results) {
    return results.allEvents().stream()
        .filter(e -> e.getType() == EventType.REPORTING_ENTRY_PUBLISHED)
        .map(e -> e.getRequiredPayload(ReportEntry.class))
        .flatMap(r -> r.getKeyValuePairs().entrySet().stream())
        .toList();
  }

  /** For readable failures: the events as lines. */
  public static String describe(EngineExecutionResults results) {
    StringBuilder s = new StringBuilder();
    for (Event e : results.allEvents().list()) {
      s.append(e).append('\n');
    }
    return s.toString();
  }
}
