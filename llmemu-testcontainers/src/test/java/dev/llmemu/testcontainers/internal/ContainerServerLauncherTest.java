package dev.llmemu.testcontainers.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.junit.Mode;
import dev.llmemu.junit.spi.ServerLauncher;
import dev.llmemu.junit.spi.ServerSpec;
import dev.llmemu.testcontainers.LlmemuContainer;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The launcher's configuration of containers (no Docker needed). */
class ContainerServerLauncherTest {

  @Test
  void isFoundByTheServiceLoaderForContainerMode() {
    assertThat(ServiceLoader.load(ServerLauncher.class))
        .filteredOn(l -> l.mode() == Mode.CONTAINER)
        .singleElement()
        .isInstanceOf(ContainerServerLauncher.class);
  }

  @Test
  void passesNameModelSeedOfTheReplicaAndArgs() {
    ServerSpec spec = new ServerSpec("a100-llama-2-7b", "m", 40, List.of("--max-num-seqs", "4"), 3);

    LlmemuContainer c = ContainerServerLauncher.container(spec, 2);

    assertThat(c.getServeArgs())
        .containsExactly(
            "--profile", "a100-llama-2-7b",
            "--served-model-name", "m",
            "--seed", "42",
            "--max-num-seqs", "4");
  }

  @Test
  @SuppressWarnings("deprecation") // getCopyToFileContainerPathMap: the one view of the copies
  void copiesAProfileFileFromThisMachineIntoTheContainer() {
    String path = "src/test/resources/profiles/tiny-test-gpu.json";
    for (String profile :
        List.of(
            path,
            Path.of(path).toAbsolutePath().toUri().toString(),
            "classpath:profiles/tiny-test-gpu.json")) {
      LlmemuContainer c = ContainerServerLauncher.container(spec(profile), 0);

      assertThat(c.getServeArgs())
          .as(profile)
          .startsWith("--profile", "/app/profiles/tiny-test-gpu.json");
      assertThat(c.getCopyToFileContainerPathMap().values())
          .containsExactly("/app/profiles/tiny-test-gpu.json");
    }
  }

  @Test
  @SuppressWarnings("deprecation")
  void leavesUrlsAndUnknownNamesToTheServer() {
    for (String profile : List.of("https://example.org/p.json", "no-such-profile")) {
      LlmemuContainer c = ContainerServerLauncher.container(spec(profile), 0);

      assertThat(c.getServeArgs()).startsWith("--profile", profile);
      assertThat(c.getCopyToFileContainerPathMap()).isEmpty();
    }
  }

  @Test
  void runsTheBundledImageUnlessToldOtherwise() {
    String before = System.getProperty(ContainerServerLauncher.IMAGE_PROPERTY);
    try {
      System.clearProperty(ContainerServerLauncher.IMAGE_PROPERTY);
      assertThat(ContainerServerLauncher.image().asCanonicalNameString())
          .isEqualTo(LlmemuContainer.bundledImage());

      System.setProperty(
          ContainerServerLauncher.IMAGE_PROPERTY, "registry.example/mirror/llmemu:1");
      assertThat(ContainerServerLauncher.image().asCanonicalNameString())
          .isEqualTo("registry.example/mirror/llmemu:1");
    } finally {
      if (before == null) {
        System.clearProperty(ContainerServerLauncher.IMAGE_PROPERTY);
      } else {
        System.setProperty(ContainerServerLauncher.IMAGE_PROPERTY, before);
      }
    }
  }

  private static ServerSpec spec(String profile) {
    return new ServerSpec(profile, null, 0, List.of(), 1);
  }
}
