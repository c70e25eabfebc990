package dev.llmemu.junit.assertj;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static java.time.Duration.ofMillis;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.RequestRecord;
import dev.llmemu.junit.load.ServerTiming;
import dev.llmemu.junit.load.Slo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

class BenchmarkResultAssertTest {

  private static BenchmarkResult result() {
    List<RequestRecord> records = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      long ttft = (i + 1) * 10L; // 10..100 ms
      records.add(
          new RequestRecord(
              i,
              "r" + i,
              ofMillis(i * 100L),
              50,
              11,
              true,
              200,
              null,
              ofMillis(ttft),
              new long[] {5_000_000L, 5_000_000L},
              ofMillis(ttft + 50),
              null));
    }
    // the slowest one queued on the server
    records.set(
        9,
        records
            .get(9)
            .withServer(new ServerTiming(ofMillis(90), ofMillis(10), ofMillis(50), 1, 16)));
    return new BenchmarkResult(
        "unit", Instant.EPOCH, Duration.ofSeconds(1), records, List.of(), Map.of(), null);
  }

  @Test
  void passingAssertions() {
    BenchmarkResult r = result();
    assertThat(r).hasNoErrors().hasCompleted(10);
    assertThat(r).ttft().p99().isLessThan(ofMillis(100));
    assertThat(r).ttft().p50().isEqualTo(ofMillis(55));
    assertThat(r).tpot().mean().isEqualTo(ofMillis(5));
    assertThat(r).e2eLatency().max().isEqualTo(ofMillis(150));
    assertThat(r).throughput().isEqualTo(110.0);
    assertThat(r).goodput(Slo.builder().ttft(ofMillis(50)).build()).isEqualTo(5.0);
    assertThat(r).errors().isEmpty();
  }

  @Test
  void failureShowsTheDistributionAndTheSlowestRequestsWithTheServerView() {
    assertThatThrownBy(() -> assertThat(result()).ttft().p99().isLessThan(ofMillis(50)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("[TTFT p99 of 10 samples")
        .hasMessageContaining(
            "distribution: TTFT over 10 samples: mean 55.0 ms, p50 55.0 ms, p90 91.0 ms, p99 99.1 ms, max 100.0 ms")
        .hasMessageContaining(
            "#9 r9: 100.0 ms (server: queued 90.0 ms, prefill 10.0 ms, decode 50.0 ms, 1 preemptions, 16 cached prompt tokens)")
        .hasMessageContaining("#8 r8: 90.0 ms")
        .hasMessageContaining("Expecting actual:\n  99.1 ms\nto be less than:\n  50.0 ms");
  }

  @Test
  void noSamplesIsAClearFailure() {
    BenchmarkResult empty =
        new BenchmarkResult(
            "e", Instant.EPOCH, Duration.ZERO, List.of(), List.of(), Map.of(), null);
    assertThatThrownBy(() -> assertThat(empty).ttft().p99().isLessThan(ofMillis(1)))
        .hasMessage(
            "Expecting TTFT p99 but there are no samples: no request succeeded with this measurement");
  }

  @Test
  void softAssertionsCollectEveryFailure() {
    LlmemuSoftAssertions softly = new LlmemuSoftAssertions();
    softly.assertThat(result()).ttft().p99().isLessThan(ofMillis(50));
    softly.assertThat(result()).tpot().p99().isGreaterThan(ofMillis(100));
    softly.assertThat(result()).throughput().isGreaterThan(1_000.0);
    Assertions.assertThat(softly.errorsCollected()).hasSize(3);
  }
}
