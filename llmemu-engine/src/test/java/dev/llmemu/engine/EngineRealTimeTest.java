package dev.llmemu.engine;

import static java.time.Duration.ofMillis;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine on its executive thread, in real time: outputs arrive asynchronously. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EngineRealTimeTest {

  private static RequestSpec spec(String id, int maxTokens) {
    return RequestSpec.builder()
        .requestId(id)
        .promptTokenIds(1, 2, 3, 4, 5, 6, 7, 8)
        .maxTokens(maxTokens)
        .ignoreEos(true)
        .build();
  }

  @Test
  void streamsOneOutputPerStepUntilMaxTokens() {
    List<RequestOutput> outputs = new CopyOnWriteArrayList<>();
    try (Engine engine =
        Engine.builder().latencyModel(StepLatencyModel.constant(ofMillis(2))).start()) {
      engine.submit(spec("a", 5), outputs::add);
      await().atMost(ofSeconds(10)).until(() -> outputs.size() == 5);
      assertThat(outputs).extracting(RequestOutput::outputTokens).containsExactly(1, 2, 3, 4, 5);
      assertThat(outputs.get(4).finishReason()).isEqualTo(FinishReason.LENGTH);
      assertThat(outputs.subList(0, 4)).allMatch(o -> !o.finished());
      assertThat(outputs).allMatch(o -> o.newText().length() > 0);
      // outputs are stamped on the deadline chain: exactly one step apart
      for (int i = 1; i < outputs.size(); i++) {
        assertThat(outputs.get(i).timestampNanos() - outputs.get(i - 1).timestampNanos())
            .isEqualTo(ofMillis(2).toNanos());
      }
    }
  }

  @Test
  void abortFinishesTheRequestAndFreesItsBlocks() throws Exception {
    List<RequestOutput> outputs = new CopyOnWriteArrayList<>();
    try (Engine engine =
        Engine.builder().latencyModel(StepLatencyModel.constant(ofMillis(5))).start()) {
      engine.submit(spec("long", 100_000 / 100), outputs::add);
      await().atMost(ofSeconds(10)).until(() -> outputs.size() >= 2);
      engine.abort("long");
      await()
          .atMost(ofSeconds(10))
          .until(() -> !outputs.isEmpty() && outputs.get(outputs.size() - 1).finished());
      assertThat(outputs.get(outputs.size() - 1).finishReason()).isEqualTo(FinishReason.ABORT);
      Integer free = engine.inspect(Engine.EngineState::freeBlocks).get(10, TimeUnit.SECONDS);
      assertThat(free).isEqualTo(engine.config().numGpuBlocks() - 1);
      assertThat(engine.inspect(Engine.EngineState::activeRequests).get(10, TimeUnit.SECONDS))
          .isZero();
    }
  }

  @Test
  void duplicateIdIsRejectedThroughTheSink() {
    List<IllegalArgumentException> rejected = new CopyOnWriteArrayList<>();
    OutputSink sink =
        new OutputSink() {
          @Override
          public void accept(RequestOutput output) {}

          @Override
          public void reject(IllegalArgumentException error) {
            rejected.add(error);
          }
        };
    try (Engine engine =
        Engine.builder().latencyModel(StepLatencyModel.constant(ofMillis(5))).start()) {
      engine.submit(spec("same", 1000), sink);
      engine.submit(spec("same", 1000), sink);
      await().atMost(ofSeconds(10)).until(() -> rejected.size() == 1);
      assertThat(rejected.get(0)).hasMessage("request id 'same' is already in use");
    }
  }

  @Test
  void promptTooLongIsRejectedOnTheCallersThread() {
    try (Engine engine =
        Engine.builder().config(EngineConfig.builder().maxModelLen(8).build()).start()) {
      assertThatThrownBy(() -> engine.submit(spec("x", 1), OutputSink.discarding()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(
              "The decoder prompt (length 8) plus the number of requested output tokens (at least 1) is longer than the maximum model length of 8.");
    }
  }

  @Test
  void closeIsIdempotentAndStopsSubmissions() {
    Engine engine = Engine.builder().start();
    assertThat(engine.isAlive()).isTrue();
    engine.close();
    engine.close();
    assertThat(engine.isAlive()).isFalse();
    assertThatThrownBy(() -> engine.submit(spec("late", 1), OutputSink.discarding()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("engine closed");
  }

  @Test
  void timeScaleSpeedsUpSteps() {
    List<RequestOutput> outputs = new CopyOnWriteArrayList<>();
    try (Engine engine =
        Engine.builder()
            .latencyModel(StepLatencyModel.constant(ofMillis(100)))
            .timeScale(0.01)
            .start()) {
      engine.submit(spec("fast", 3), outputs::add);
      await().atMost(ofSeconds(10)).until(() -> outputs.size() == 3);
      assertThat(outputs.get(2).timestampNanos() - outputs.get(1).timestampNanos())
          .isEqualTo(ofMillis(1).toNanos());
    }
  }

  @Test
  void frontendCostsDelayAdmissionAndDelivery() {
    List<RequestOutput> outputs = new CopyOnWriteArrayList<>();
    long submitted;
    try (Engine engine =
        Engine.builder()
            .latencyModel(StepLatencyModel.constant(ofMillis(5)))
            .frontend(ofMillis(20), ofMillis(2))
            .start()) {
      submitted = engine.nanoTime();
      engine.submit(spec("a", 3).toBuilder().n(2).build(), outputs::add);
      await().atMost(ofSeconds(10)).until(() -> outputs.size() == 6);
    }
    // admitted 20 ms after submission, one 5 ms step, then 2 ms for each of the step's 2 outputs
    RequestOutput first = outputs.get(0);
    assertThat(first.timestampNanos() - submitted).isGreaterThanOrEqualTo(ofMillis(29).toNanos());
    // the two choices' outputs of one step reach clients together; steps stay 5 ms apart
    assertThat(outputs.get(1).timestampNanos()).isEqualTo(first.timestampNanos());
    assertThat(outputs.get(2).timestampNanos() - first.timestampNanos())
        .isEqualTo(ofMillis(5).toNanos());
  }
}
