package dev.llmemu.engine.bench;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.EngineObserver;
import dev.llmemu.engine.OutputLengthModel;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.StepLatencyModel;
import dev.llmemu.engine.internal.core.EngineCore;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One engine step (schedule, latency model, apply outputs) at steady state with a fixed number of
 * running requests: each request decodes up to 1,000 tokens and is replaced by a new one (which
 * prefills 200 tokens) when it finishes, so admissions, block allocation and prefix hashing are
 * part of the measured work. Run with {@code bench/jmh.sh StepBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class StepBenchmark {
  @Param({"256", "1024"})
  public int running;

  private EngineCore core;
  private long now;
  private long nextId;
  private int finished;
  private final SplittableRandom random = new SplittableRandom(1);

  @Setup(Level.Trial)
  public void setUp() {
    EngineConfig config =
        EngineConfig.builder()
            .maxNumSeqs(running)
            .maxNumBatchedTokens(8192)
            .maxModelLen(4096)
            .numGpuBlocks(running * 80 + 1)
            .build();
    core =
        new EngineCore(
            config,
            StepLatencyModel.constant(Duration.ofMillis(10)),
            OutputLengthModel.maxTokens(),
            new EngineObserver() {
              @Override
              public void onRequestFinished(RequestResult result) {
                finished++;
              }
            },
            false);
    for (int i = 0; i < running; i++) {
      submit();
    }
    // Warm the engine into steady state: everyone admitted and at a different decode position.
    for (int i = 0; i < 2_000; i++) {
      step();
    }
  }

  private void submit() {
    int[] prompt = new int[200];
    for (int k = 0; k < prompt.length; k++) {
      prompt[k] = random.nextInt(100_000);
    }
    RequestSpec spec =
        RequestSpec.builder()
            .promptTokenIds(prompt)
            .maxTokens(random.nextInt(500, 1500))
            .ignoreEos(true)
            .build();
    core.addRequest(spec, Long.toString(nextId++), now, null);
  }

  private void step() {
    long d = core.beginStep(now);
    now += d;
    core.completeStep(now);
    for (; finished > 0; finished--) {
      submit();
    }
  }

  @Benchmark
  public int oneStep() {
    step();
    return core.numRunning();
  }
}
