package dev.llmemu.engine.server;

import dev.llmemu.engine.StepLatencyModel;
import java.time.Duration;

/** Servers for socket tests: fast constant steps, seeded. */
final class TestServers {
  private TestServers() {}

  static EmulatedVllmServer.Builder fast() {
    return EmulatedVllmServer.builder()
        .latencyModel(StepLatencyModel.constant(Duration.ofMillis(2)))
        .seed(42)
        .ioThreads(2);
  }
}
