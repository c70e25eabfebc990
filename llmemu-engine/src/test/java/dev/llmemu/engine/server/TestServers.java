package dev.llmemu.engine.server;

import dev.llmemu.engine.StepLatencyModel;
import java.time.Duration;

/** Servers for socket tests: fast constant steps, seeded. */
final class TestServers {
  private TestServers() {}

  /**
   * The default profile's model and API, with engine limits pinned here so that the tests do not
   * depend on what the bundled default profile measured.
   */
  static EmulatedVllmServer.Builder fast() {
    return EmulatedVllmServer.builder()
        .engineConfig(
            c -> c.maxModelLen(8192).numGpuBlocks(4097).maxNumSeqs(256).maxNumBatchedTokens(8192))
        .latencyModel(StepLatencyModel.constant(Duration.ofMillis(2)))
        .seed(42)
        .ioThreads(2);
  }

  /**
   * Steps long enough (40 ms) that the event loop always writes one SSE event per engine step
   * before the next step ends, even on a loaded machine: for tests that count events. (When a
   * client or the event loop falls behind, outputs merge, as in vLLM.)
   */
  static EmulatedVllmServer.Builder paced() {
    return fast().latencyModel(StepLatencyModel.constant(Duration.ofMillis(40)));
  }
}
