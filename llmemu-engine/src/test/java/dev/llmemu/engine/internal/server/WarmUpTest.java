package dev.llmemu.engine.internal.server;

import static org.assertj.core.api.Assertions.assertThatCode;

import dev.llmemu.engine.Engine;
import dev.llmemu.engine.EngineConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WarmUpTest {
  @Test
  void warmUpEncodesEveryResponseKindWithoutTouchingTheEngine() {
    try (Engine engine = Engine.builder().start()) {
      VllmMetrics metrics = new VllmMetrics("m", EngineConfig.builder().build());
      ServerSettings settings =
          new ServerSettings(
              "127.0.0.1",
              0,
              List.of("m"),
              "m",
              List.of(),
              1 << 20,
              Duration.ZERO,
              0,
              false,
              false,
              false,
              "v",
              null);
      assertThatCode(() -> GenerationCall.warmUp(engine, metrics, settings))
          .doesNotThrowAnyException();
      org.assertj.core.api.Assertions.assertThat(
              engine.inspect(Engine.EngineState::totalSteps).join())
          .isZero();
      org.assertj.core.api.Assertions.assertThat(metrics.counterValue("vllm:generation_tokens"))
          .isZero();
    }
  }
}
