package dev.llmemu.testcontainers;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.junit.EmulatedVllm;
import dev.llmemu.junit.Mode;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * A configuration the image refuses fails the test class at once, with the server's error as an
 * {@link ExtensionConfigurationException}, and runs none of its tests.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LauncherConfigurationIT {

  @Test
  void aFlagTheServerRefusesFailsTheClassWithTheServersError() {
    EngineExecutionResults results =
        EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(RefusedFlagTestCases.class))
            .execute();

    results
        .containerEvents()
        .assertThatEvents()
        .haveExactly(
            1,
            event(
                container(RefusedFlagTestCases.class),
                finishedWithFailure(
                    instanceOf(ExtensionConfigurationException.class),
                    message(
                        "@EmulatedVllm on RefusedFlagTestCases not configured correctly:"
                            + " llmemu serve: error:"
                            + " max_num_seqs must be positive, got 0 (the "
                            + TestImages.llmemu()
                            + " container exited at start-up; serve flags: [--seed, 0,"
                            + " --max-num-seqs, 0])."))));
    results.testEvents().assertStatistics(stats -> stats.started(0));
  }

  @EmulatedVllm(
      mode = Mode.CONTAINER,
      args = {"--max-num-seqs", "0"})
  static class RefusedFlagTestCases {
    @Test
    void neverRuns(EmulatedVllmServer vllm) {
      throw new AssertionError("must not run: " + vllm);
    }
  }
}
