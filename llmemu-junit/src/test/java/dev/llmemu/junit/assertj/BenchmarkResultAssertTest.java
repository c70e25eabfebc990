package dev.llmemu.junit.assertj;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static java.time.Duration.ofMillis;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.RequestError;
import dev.llmemu.junit.load.RequestRecord;
import dev.llmemu.junit.load.ServerTiming;
import dev.llmemu.junit.load.Slo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.assertj.core.api.junit.jupiter.InjectSoftAssertions;
import org.assertj.core.api.junit.jupiter.SoftAssertionsExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SoftAssertionsExtension.class)
class BenchmarkResultAssertTest {

  @InjectSoftAssertions LlmemuSoftAssertions injected;

  private static RequestRecord ok(int i, long ttftMs) {
    return new RequestRecord(
        i,
        "r" + i,
        ofMillis(i * 100L),
        50,
        11,
        200,
        null,
        ofMillis(ttftMs),
        new long[] {5_000_000L, 5_000_000L},
        ofMillis(ttftMs + 50),
        null);
  }

  /** TTFT 10..100 ms; the slowest one queued on the server. */
  private static BenchmarkResult result(RequestRecord... extra) {
    List<RequestRecord> records = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      records.add(ok(i, (i + 1) * 10L));
    }
    records.set(
        9,
        records
            .get(9)
            .withServer(new ServerTiming(ofMillis(90), ofMillis(10), ofMillis(50), 1, 50, 16)));
    records.addAll(List.of(extra));
    return new BenchmarkResult(
        "unit run", Instant.EPOCH, Duration.ofSeconds(1), records, List.of(), Map.of(), null);
  }

  private static RequestRecord failed(int i, RequestError.Kind kind, String message) {
    return new RequestRecord(
        i,
        "r" + i,
        ofMillis(i * 100L),
        50,
        0,
        kind == RequestError.Kind.HTTP_STATUS ? 503 : 200,
        new RequestError(kind, message),
        null,
        new long[0],
        null,
        null);
  }

  @Test
  void passingAssertions() {
    BenchmarkResult r = result();
    assertThat(r).hasNoErrors().hasCompleted(10);
    assertThat(r).ttft().p99().isLessThan(ofMillis(100));
    assertThat(r).ttft().p50().isEqualTo(ofMillis(55));
    assertThat(r).ttft().percentile(90).isEqualTo(ofMillis(91));
    assertThat(r).tpot().mean().isEqualTo(ofMillis(5));
    assertThat(r).itl().max().isEqualTo(ofMillis(5));
    assertThat(r).e2eLatency().max().isEqualTo(ofMillis(150));
    assertThat(r).serverQueueTime().hasAtLeastSamples(1).max().isEqualTo(ofMillis(90));
    assertThat(r).throughput().isEqualTo(110.0);
    assertThat(r).requestThroughput().isEqualTo(10.0);
    assertThat(r).goodput(Slo.builder().ttft(ofMillis(50)).build()).isEqualTo(5.0);
    assertThat(r).sloAttainment(Slo.builder().ttft(ofMillis(50)).build()).isEqualTo(0.5);
    assertThat(r).errors().isEmpty();
    assertThat(r).errorRate().isZero();
  }

  @Test
  void aLatencyFailureShowsTheDistributionAndTheSlowestRequestsWithTheServersView() {
    assertThatThrownBy(() -> assertThat(result()).ttft().p99().isLessThan(ofMillis(50)))
        .isInstanceOf(AssertionError.class)
        .hasMessage(
            "[TTFT p99 of unit run\n"
                + "  TTFT over 10 samples: mean 55.0 ms, p50 55.0 ms, p90 91.0 ms, p99 99.1 ms,"
                + " max 100.0 ms\n"
                + "  slowest requests:\n"
                + "    #9 r9: 100.0 ms (server: queued 90.0 ms, prefill 10.0 ms, decode 50.0 ms, 1"
                + " preemption, 16 cached prompt tokens)\n"
                + "    #8 r8: 90.0 ms\n"
                + "    #7 r7: 80.0 ms\n"
                + "    #6 r6: 70.0 ms\n"
                + "    #5 r5: 60.0 ms\n"
                + "  where its time to first token went: 90% queued in the engine, 10% prefill, 0%"
                + " outside the engine (network, HTTP, services in front of it): mostly queueing in"
                + " the engine] \n"
                + "Expecting actual:\n"
                + "  99.1 ms\n"
                + "to be less than:\n"
                + "  50.0 ms ");
  }

  @Test
  void aTtftFailureSaysWhereTheTimeToFirstTokenWent() {
    List<RequestRecord> records = new ArrayList<>();
    // two slow ones: 100 ms each, of which 10 ms queued and 20 ms prefill: 70% outside the engine
    for (int i = 0; i < 2; i++) {
      records.add(
          ok(i, 100)
              .withServer(new ServerTiming(ofMillis(10), ofMillis(20), ofMillis(50), 0, 50, 0)));
    }
    records.add(ok(2, 10)); // no engine view: not counted
    BenchmarkResult outside =
        new BenchmarkResult(
            "cold", Instant.EPOCH, Duration.ofSeconds(1), records, List.of(), Map.of(), null);

    assertThatThrownBy(() -> assertThat(outside).ttft().max().isLessThan(ofMillis(50)))
        .hasMessageContaining(
            "\n  where their time to first token went: 10% queued in the engine, 20% prefill, 70%"
                + " outside the engine (network, HTTP, services in front of it): mostly outside"
                + " the engine]");

    RequestRecord longPrompt =
        ok(0, 100).withServer(new ServerTiming(ofMillis(5), ofMillis(90), ofMillis(50), 0, 50, 0));
    BenchmarkResult prefill =
        new BenchmarkResult(
            "long prompts",
            Instant.EPOCH,
            Duration.ofSeconds(1),
            List.of(longPrompt),
            List.of(),
            Map.of(),
            null);
    assertThatThrownBy(() -> assertThat(prefill).ttft().max().isLessThan(ofMillis(50)))
        .hasMessageContaining("5% queued in the engine, 90% prefill, 5% outside")
        .hasMessageContaining(": mostly prefill]");
    // only TTFT gets the line
    assertThatThrownBy(() -> assertThat(prefill).e2eLatency().max().isLessThan(ofMillis(50)))
        .hasMessageNotContaining("where its time");
  }

  @Test
  void anItlFailureListsTheLargestGaps() {
    assertThatThrownBy(() -> assertThat(result()).itl().max().isLessThan(ofMillis(1)))
        .hasMessageContaining("  largest gaps:\n    #0 r0: 5.0 ms\n");
  }

  @Test
  void errorFailuresCountByKindAndListTheFirstFive() {
    BenchmarkResult r =
        result(
            failed(10, RequestError.Kind.HTTP_STATUS, "HTTP 503: busy"),
            failed(11, RequestError.Kind.TIMEOUT, "no answer within the request timeout"));

    assertThatThrownBy(() -> assertThat(r).hasNoErrors())
        .hasMessage(
            "\n"
                + "Expecting no failed requests in:\n"
                + "  unit run\n"
                + "but 2 of 12 failed {HTTP_STATUS=1, TIMEOUT=1}:\n"
                + "  #10 r10: failed, HTTP_STATUS: HTTP 503: busy\n"
                + "  #11 r11: failed, TIMEOUT: no answer within the request timeout");
    assertThatThrownBy(() -> assertThat(r).hasCompleted(12))
        .hasMessageStartingWith(
            "\nExpecting 12 completed requests in:\n  unit run\nbut 10 completed and 2 of 12");
    assertThatThrownBy(() -> assertThat(r).hasErrors(RequestError.Kind.TIMEOUT, 2))
        .hasMessageStartingWith(
            "\nExpecting 2 requests failed with TIMEOUT in:\n  unit run\nbut 2 of 12 failed");
    assertThat(r).hasErrors(RequestError.Kind.HTTP_STATUS, 1);
    assertThat(r).errorRate().isCloseTo(2 / 12.0, Assertions.within(1e-12));
    assertThat(r)
        .errors()
        .extracting(x -> x.error().kind())
        .containsExactly(RequestError.Kind.HTTP_STATUS, RequestError.Kind.TIMEOUT);
  }

  @Test
  void noSamplesIsAClearFailure() {
    BenchmarkResult empty =
        new BenchmarkResult(
            "e", Instant.EPOCH, Duration.ZERO, List.of(), List.of(), Map.of(), null);
    assertThatThrownBy(() -> assertThat(empty).ttft().p99().isLessThan(ofMillis(1)))
        .hasMessage(
            "Expecting TTFT p99 but there are no samples: no request succeeded with this"
                + " measurement");
  }

  @Test
  void softAssertionsCollectEveryFailure() {
    LlmemuSoftAssertions softly = new LlmemuSoftAssertions();
    softly.assertThat(result()).ttft().p99().isLessThan(ofMillis(50));
    softly.assertThat(result()).tpot().p99().isGreaterThan(ofMillis(100));
    softly.assertThat(result()).throughput().isGreaterThan(1_000.0);
    softly.assertThat(result()).errors().hasSize(3);
    softly.assertThat(result()).ttft().p50().isEqualTo(ofMillis(55)); // passes
    Assertions.assertThat(softly.errorsCollected()).hasSize(4);
    assertThatThrownBy(softly::assertAll).hasMessageContaining("Multiple Failures (4 failures)");
  }

  @Test
  void softAssertionsAreInjectedByAssertJsExtension() {
    injected.assertThat(result()).ttft().p99().isLessThan(ofMillis(100));
    injected.assertThat(result()).hasNoErrors();
  }
}
