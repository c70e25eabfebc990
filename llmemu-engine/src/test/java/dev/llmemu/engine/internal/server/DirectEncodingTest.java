package dev.llmemu.engine.internal.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.Engine;
import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.FinishReason;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The hand-written SSE events are byte for byte what the JSON generator writes. */
class DirectEncodingTest {
  static final List<String> TEXTS =
      List.of(
          "",
          " the",
          "\"quoted\"",
          "back\\slash",
          "line\nbreak\ttab\r",
          "\u0001\u001f\u007f",
          "caf\u00e9 \u4e2d\u6587 \ud83d\ude00",
          "</script>");

  @ParameterizedTest
  @EnumSource(GenerationRequest.Kind.class)
  void directEventsEqualGeneratedEvents(GenerationRequest.Kind kind) {
    try (Engine engine = Engine.builder().start()) {
      ServerSettings settings =
          new ServerSettings(
              "127.0.0.1",
              0,
              List.of("org/model \"x\""),
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
      GenerationRequest req = new GenerationRequest(kind);
      req.prompts = List.of(new int[] {1});
      req.promptTexts = Arrays.asList((String) null);
      req.stream = true;
      GenerationCall call =
          new GenerationCall(
              new EmbeddedChannel(),
              engine,
              new VllmMetrics("m", EngineConfig.builder().build()),
              settings,
              req,
              "cmpl-id\"1",
              0,
              GenerationCall.RequestFaults.NONE,
              new FlushDispatcher(),
              true,
              () -> {});
      for (String text : TEXTS) {
        for (Object[] finish :
            new Object[][] {
              {null, null},
              {FinishReason.LENGTH, null},
              {FinishReason.STOP, 100257},
              {FinishReason.STOP, "st\"op"}
            }) {
          call.directEncoding = true;
          String direct = call.encodeForTest(3, text, (FinishReason) finish[0], finish[1]);
          call.directEncoding = false;
          String generated = call.encodeForTest(3, text, (FinishReason) finish[0], finish[1]);
          assertThat(direct).as("%s %s", text, Arrays.toString(finish)).isEqualTo(generated);
        }
      }
    }
  }
}
