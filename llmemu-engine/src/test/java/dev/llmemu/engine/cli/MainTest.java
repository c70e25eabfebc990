package dev.llmemu.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.SchedulingPolicy;
import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.engine.server.EmulatedVllmServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The command line: flags named as in vllm serve, one-line errors with exit code 2, health. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MainTest {
  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  static Main.Serve parseServe(String... args) {
    CommandLine cl =
        Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    CommandLine.ParseResult r = cl.parseArgs(args);
    return (Main.Serve) r.subcommand().commandSpec().userObject();
  }

  @Test
  void serveHelpReadsLikeVllmServe() {
    Result r = run("serve", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("Usage: llmemu serve")
        .contains("--model=MODEL")
        .contains("--served-model-name=NAME")
        .contains("--host=HOST")
        .contains("--port=PORT")
        .contains("--max-num-seqs=N")
        .contains("--max-num-batched-tokens=N")
        .contains("--max-model-len=N")
        .contains("--block-size=N")
        .contains("--gpu-memory-utilization=FRACTION")
        .contains("--num-gpu-blocks-override=N")
        .contains("--[no-]enable-prefix-caching")
        .contains("--scheduling-policy=POLICY")
        .contains("--api-key=KEY")
        .contains("--seed=SEED")
        .contains("--profile=PROFILE")
        .contains("--time-scale=FACTOR")
        .contains("Default: 8000");
  }

  @Test
  void badFlagIsOneLineAndExitCode2() {
    Result r = run("serve", "--max-num-seq", "4");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip())
        .doesNotContain("\n")
        .startsWith("llmemu serve: error: Unknown option: '--max-num-seq'");
    Result bad = run("serve", "--port", "eighty");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err().strip()).doesNotContain("\n").contains("--port");
  }

  @Test
  void inconsistentSettingsAreOneLineAndExitCode2() {
    Result r =
        run("serve", "--max-num-seqs", "4096", "--max-num-batched-tokens", "2048", "--port", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip())
        .doesNotContain("\n")
        .isEqualTo(
            "llmemu serve: error: max_num_batched_tokens (2048) must be greater than or equal to max_num_seqs (4096)");
    Result profile = run("serve", "--profile", "nope", "--port", "0");
    assertThat(profile.code()).isEqualTo(2);
    assertThat(profile.err()).contains("unknown hardware profile 'nope'");
  }

  @Test
  void flagsMapOntoTheServer() {
    EmulatedVllmServer.Builder b =
        parseServe(
                "serve",
                "org/model",
                "--served-model-name",
                "a",
                "b",
                "--max-num-seqs",
                "8",
                "--max-num-batched-tokens",
                "4k",
                "--max-model-len",
                "2K",
                "--no-enable-prefix-caching",
                "--scheduling-policy",
                "priority",
                "--seed",
                "5",
                "--num-gpu-blocks-override",
                "300",
                "--port",
                "0")
            .builder();
    EmulatedVllmServer s = b.build();
    assertThat(s.servedModelNames()).containsExactly("a", "b");
    assertThat(b.engineConfig().maxNumSeqs()).isEqualTo(8);
    assertThat(b.engineConfig().maxNumBatchedTokens()).isEqualTo(4000);
    assertThat(b.engineConfig().maxModelLen()).isEqualTo(2048);
    assertThat(b.engineConfig().enablePrefixCaching()).isFalse();
    assertThat(b.engineConfig().schedulingPolicy()).isEqualTo(SchedulingPolicy.PRIORITY);
    assertThat(b.engineConfig().seed()).isEqualTo(5);
    assertThat(b.engineConfig().numGpuBlocks()).isEqualTo(300);
    s.close();
  }

  @Test
  void serveWithoutFlagsUsesTheDefaultProfileOnLoopbackPort8000() {
    EmulatedVllmServer.Builder b = parseServe("serve").builder();
    EmulatedVllmServer s = b.build();
    assertThat(b.profile().name()).isEqualTo(Profiles.DEFAULT_PROFILE);
    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.servedModelName()).isEqualTo(b.profile().model());
    s.close();
    assertThat(parseServe("serve").port).isEqualTo(8000);
  }

  @Test
  void healthExitsZeroForAHealthyServerAndOneOtherwise() throws Exception {
    try (EmulatedVllmServer s = EmulatedVllmServer.builder().start()) {
      Result ok = run("health", "--port", Integer.toString(s.port()));
      assertThat(ok.code()).as(ok.err()).isZero();
    }
    int freePort;
    try (ServerSocket socket = new ServerSocket(0)) {
      freePort = socket.getLocalPort();
    }
    Result down = run("health", "--port", Integer.toString(freePort), "--timeout", "2s");
    assertThat(down.code()).isEqualTo(1);
    assertThat(down.err()).contains("unreachable");

    long start = System.nanoTime();
    Result stillDown =
        run("health", "--port", Integer.toString(freePort), "--timeout", "1s", "--wait", "300ms");
    assertThat(stillDown.code()).isEqualTo(1);
    assertThat(stillDown.err()).contains("unreachable");
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("kept asking for --wait")
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }

  @Test
  void versionNamesTheEmulatedVllm() {
    Result r = run("--version");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("llmemu ").contains("vLLM 0.18.0");
  }
}
