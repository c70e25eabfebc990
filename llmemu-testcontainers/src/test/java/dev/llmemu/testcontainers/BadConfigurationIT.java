package dev.llmemu.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.llmemu.engine.profile.Profiles;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.utility.MountableFile;

/**
 * A configuration the server refuses fails {@link LlmemuContainer#start()} within seconds, with the
 * server's own error line, and leaves no container behind; it never waits for the time-out.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BadConfigurationIT {
  /** Far below the 60 s start-up time-out: the failure comes from the exit, not the time-out. */
  private static final Duration FAST = Duration.ofSeconds(30);

  static Stream<Arguments> refusedConfigurations() {
    return Stream.of(
        arguments(
            "an unknown profile",
            (UnaryOperator<LlmemuContainer>) c -> c.withProfile("no-such-profile"),
            "llmemu serve: error: --profile: unknown hardware profile 'no-such-profile': it is not"
                + " a bundled profile name and there is no file at /app/no-such-profile. Known"
                + " profiles: "
                + Profiles.knownNames()
                + ". Pass one of these names, the path of a profile JSON (llmemu format or an"
                + " LLM-Emu pack) or a URL.",
            "[--profile, no-such-profile]"),
        arguments(
            "max_num_seqs of 0",
            (UnaryOperator<LlmemuContainer>) c -> c.withMaxNumSeqs(0),
            "llmemu serve: error: max_num_seqs must be positive, got 0",
            "[--max-num-seqs, 0]"),
        arguments(
            "an unknown flag",
            (UnaryOperator<LlmemuContainer>) c -> c.withServeArgs("--no-such-flag"),
            "llmemu serve: error: Unknown option: '--no-such-flag' (see 'llmemu serve --help')",
            "[--no-such-flag]"),
        arguments(
            "a malformed profile file",
            (UnaryOperator<LlmemuContainer>)
                c ->
                    c.withProfileFile(
                        MountableFile.forClasspathResource("profiles/broken-profile.json")),
            "llmemu serve: error: --profile: Invalid hardware profile /app/profiles/broken-profile.json:"
                + " field"
                + " 'latency.token_ops.mean' must have 3 elements (one per entry of"
                + " 'latency.token_ops.tokens'), got 2. Regenerate the profile or make both arrays"
                + " the same length",
            "[--profile, /app/profiles/broken-profile.json]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedConfigurations")
  void failsFastWithTheServersError(
      String what, UnaryOperator<LlmemuContainer> configure, String error, String flags) {
    int before = containersOfThisSession();
    long start = System.nanoTime();

    try (LlmemuContainer vllm = configure.apply(new LlmemuContainer(TestImages.llmemu()))) {
      assertThatThrownBy(vllm::start)
          .isInstanceOf(ContainerLaunchException.class)
          .hasMessageStartingWith(
              error
                  + "\n(the llmemu container "
                  + TestImages.llmemu()
                  + " exited with code 2 before /health answered; serve flags: "
                  + flags
                  + ". Fix the configuration: see 'llmemu serve --help' and docs/containers.md)");
      assertThat(vllm.getServerError()).hasValue(error);
    }

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FAST);
    assertThat(containersOfThisSession()).isEqualTo(before);
  }

  @Test
  void aServerThatNeverGetsReadyTimesOutWithWhatItLastAnswered() {
    try (LlmemuContainer vllm =
        new LlmemuContainer(TestImages.llmemu())
            .withReadinessDelay(Duration.ofMinutes(10))
            .withStartupTimeout(Duration.ofSeconds(8))) {
      assertThatThrownBy(vllm::start)
          .isInstanceOf(ContainerLaunchException.class)
          .rootCause()
          .hasMessageContaining("/health did not answer 200 within 8 s (last: HTTP 503)")
          .hasMessageContaining("Serving model meta-llama/Llama-3.1-8B");
      assertThat(vllm.getServerError()).isEmpty();
    }
  }

  private static int containersOfThisSession() {
    return DockerClientFactory.instance()
        .client()
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(
            Map.of(
                DockerClientFactory.TESTCONTAINERS_SESSION_ID_LABEL,
                DockerClientFactory.SESSION_ID))
        .exec()
        .size();
  }
}
