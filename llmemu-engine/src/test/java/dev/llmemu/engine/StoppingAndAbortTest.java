package dev.llmemu.engine;

import static java.time.Duration.ofMillis;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.internal.core.EngineCore;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Stop conditions (EOS, min_tokens, stop strings, stop token ids, length) and aborts. */
class StoppingAndAbortTest {

  private static RequestSpec.Builder prompt(int length) {
    return RequestSpec.builder()
        .promptTokenIds(IntStream.range(0, length).map(i -> 500 + i).toArray());
  }

  private static Simulator simulator(OutputLengthModel lengths) {
    return Simulator.builder()
        .outputLengthModel(lengths)
        .produceText(true)
        .recordSteps(true)
        .build();
  }

  @Test
  @DisplayName(
      "the output-length model's EOS stops a request with 'stop'; EOS counts as a token but has no text")
  void eosFromOutputLengthModel() {
    SimulationResult result =
        simulator(OutputLengthModel.fixed(5)).run(List.of(prompt(10).maxTokens(100).build()));
    RequestResult r = result.requests().get(0);
    assertThat(r.outputTokens()).isEqualTo(5);
    assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(r.stopReason()).isNull();
    // four synthetic tokens of text; every synthetic word starts with a space or is punctuation
    assertThat(r.text()).hasValueSatisfying(t -> assertThat(t).isNotBlank());
  }

  @Test
  @DisplayName("ignore_eos runs to max_tokens with 'length'")
  void ignoreEos() {
    SimulationResult result =
        simulator(OutputLengthModel.fixed(5))
            .run(List.of(prompt(10).maxTokens(12).ignoreEos(true).build()));
    assertThat(result.requests().get(0).outputTokens()).isEqualTo(12);
    assertThat(result.requests().get(0).finishReason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  @DisplayName("min_tokens masks EOS: the model's EOS comes at min_tokens + 1 at the earliest")
  void minTokens() {
    SimulationResult result =
        simulator(OutputLengthModel.fixed(3))
            .run(List.of(prompt(10).maxTokens(100).minTokens(10).build()));
    RequestResult r = result.requests().get(0);
    assertThat(r.outputTokens()).isEqualTo(11);
    assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
  }

  @Test
  @DisplayName(
      "max_tokens is capped by the model length; chat without max_tokens runs until the context is full")
  void lengthCap() {
    EngineConfig config = EngineConfig.builder().maxModelLen(64).build();
    SimulationResult result =
        Simulator.builder().config(config).build().run(List.of(prompt(50).maxTokens(null).build()));
    RequestResult r = result.requests().get(0);
    assertThat(r.maxTokens()).isEqualTo(14);
    assertThat(r.outputTokens()).isEqualTo(14);
    assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  @DisplayName(
      "a stop string truncates the text, finishes with stop_reason = the string, after min_tokens only")
  void stopStrings() {
    Simulator sim = simulator(OutputLengthModel.maxTokens());
    RequestSpec base = prompt(10).maxTokens(40).seed(7L).build();
    String full = sim.run(List.of(base)).requests().get(0).text().orElseThrow();
    // Pick a word the deterministic text contains after a few tokens, and stop on it.
    String[] words = full.split("(?= )");
    String stop = words[6];
    int stopAt = full.indexOf(stop);
    assertThat(stopAt).isPositive();

    RequestResult stopped =
        sim.run(List.of(base.toBuilder().stop(List.of(stop)).build())).requests().get(0);
    assertThat(stopped.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(stopped.stopReason()).isEqualTo(stop);
    assertThat(stopped.text()).hasValue(full.substring(0, stopAt));
    assertThat(stopped.outputTokens()).isLessThan(40);

    RequestResult included =
        sim.run(List.of(base.toBuilder().stop(List.of(stop)).includeStopStrInOutput(true).build()))
            .requests()
            .get(0);
    assertThat(included.text()).hasValue(full.substring(0, stopAt + stop.length()));

    // with min_tokens beyond the stop position the first occurrence is not searched
    RequestResult late =
        sim.run(List.of(base.toBuilder().stop(List.of(stop)).minTokens(39).build()))
            .requests()
            .get(0);
    assertThat(late.outputTokens()).isGreaterThanOrEqualTo(39);
  }

  @Test
  @DisplayName(
      "a request stopped by a stop string stays scheduled for one more step, then its blocks are freed")
  void stopStringAbortsOneStepLater() {
    Simulator probe = simulator(OutputLengthModel.maxTokens());
    RequestSpec base = prompt(10).maxTokens(40).seed(7L).build();
    String full = probe.run(List.of(base)).requests().get(0).text().orElseThrow();
    String stop = full.split("(?= )")[6];

    SimulationResult result = probe.run(List.of(base.toBuilder().stop(List.of(stop)).build()));
    RequestResult r = result.requests().get(0);
    List<StepStats> steps = result.steps();
    // one step per token; one extra step whose token is thrown away; then the abort lands and an
    // empty step reports the freed cache
    assertThat(steps).hasSize(r.outputTokens() + 2);
    StepStats extra = steps.get(steps.size() - 2);
    assertThat(extra.scheduledRequests()).isEqualTo(1);
    assertThat(extra.generatedTokens()).isEqualTo(1);
    assertThat(extra.kvCacheUsage()).isPositive();
    StepStats idle = steps.get(steps.size() - 1);
    assertThat(idle.scheduledRequests()).isZero();
    assertThat(idle.kvCacheUsage()).isZero();
  }

  /** Drives the clock-less core by hand, collecting every output. */
  private static List<RequestOutput> runCore(RequestSpec spec) {
    List<RequestOutput> outputs = new ArrayList<>();
    EngineCore core =
        new EngineCore(
            EngineConfig.builder().build(),
            StepLatencyModel.constant(ofMillis(10)),
            OutputLengthModel.maxTokens(),
            EngineObserver.NONE,
            true);
    core.addRequest(spec, 0, outputs::add);
    long now = 0;
    while (core.hasWork()) {
      now += core.beginStep(now);
      core.completeStep(now);
    }
    return outputs;
  }

  @Test
  @DisplayName(
      "stop_token_ids stop the request with the token id as stop_reason, its text left out")
  void stopTokenIds() {
    RequestSpec base = prompt(10).maxTokens(30).seed(3L).build();
    List<RequestOutput> free = runCore(base);
    int stopToken = free.get(4).newTokenIds()[0];
    int firstOccurrence = 0;
    while (free.get(firstOccurrence).newTokenIds()[0] != stopToken) {
      firstOccurrence++;
    }
    StringBuilder textBefore = new StringBuilder();
    for (int i = 0; i < firstOccurrence; i++) {
      textBefore.append(free.get(i).newText());
    }

    List<RequestOutput> stopped = runCore(base.toBuilder().stopTokenIds(stopToken).build());
    RequestOutput last = stopped.get(stopped.size() - 1);
    assertThat(stopped).hasSize(firstOccurrence + 1);
    assertThat(last.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(last.stopReason()).isEqualTo(stopToken);
    assertThat(last.outputTokens()).isEqualTo(firstOccurrence + 1);
    assertThat(stopped.stream().map(RequestOutput::newText).reduce("", String::concat))
        .isEqualTo(textBefore.toString());
  }

  @Test
  @DisplayName("an aborted request finishes with 'abort' and frees every KV block")
  void abortFreesBlocks() {
    List<StepStats> steps = new ArrayList<>();
    RequestSpec longOne =
        prompt(300).maxTokens(1000).ignoreEos(true).cancelAfter(ofMillis(55)).build();
    SimulationResult result =
        Simulator.builder()
            .observer(
                new EngineObserver() {
                  @Override
                  public void onStep(StepStats stats) {
                    steps.add(stats);
                  }
                })
            .build()
            .run(List.of(longOne));
    RequestResult r = result.requests().get(0);
    assertThat(r.finishReason()).isEqualTo(FinishReason.ABORT);
    // aborts are applied between steps: the one at 55 ms lands after the step ending at 60 ms
    assertThat(r.outputTokens()).isEqualTo(6);
    assertThat(r.finishedNanos()).isEqualTo(ofMillis(60).toNanos());
    StepStats last = steps.get(steps.size() - 1);
    assertThat(last.scheduledTokens()).isZero();
    assertThat(last.numRunning()).isZero();
    assertThat(last.kvCacheUsage()).isZero();
  }

  @Test
  @DisplayName("n > 1 fans out into choices <k>_<id> that share the prompt's cached blocks")
  void nChoices() {
    SimulationResult result =
        Simulator.builder()
            .build()
            .run(List.of(prompt(64).requestId("x").maxTokens(4).ignoreEos(true).n(3).build()));
    assertThat(result.requests())
        .extracting(RequestResult::requestId)
        .containsExactly("0_x", "1_x", "2_x");
    assertThat(result.requests()).extracting(RequestResult::parentRequestId).containsOnly("x");
    // vLLM caches blocks at allocation, so later choices admitted in the same step hit the first's
    assertThat(result.requests())
        .extracting(RequestResult::cachedTokens)
        .containsExactly(0, 48, 48);
  }
}
