package dev.llmemu.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.model.ExposedPort;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/** The image as `docker run` users meet it, without {@link LlmemuContainer}'s help. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ImageIT {

  @Test
  void isNonRootLabelledAndRunsTheServer() {
    InspectImageResponse image =
        DockerClientFactory.instance().client().inspectImageCmd(TestImages.llmemu()).exec();

    assertThat(image.getConfig().getUser()).isEqualTo("10001:10001");
    assertThat(image.getConfig().getExposedPorts()).contains(ExposedPort.tcp(8000));
    assertThat(image.getConfig().getLabels())
        .containsEntry("org.opencontainers.image.version", TestImages.version())
        .containsEntry("org.opencontainers.image.title", "llmemu");
    assertThat(image.getConfig().getEntrypoint())
        .startsWith("java")
        .endsWith("-jar", "/app/llmemu.jar", "serve", "--host", "0.0.0.0", "--port", "8000");
    assertThat(image.getConfig().getHealthcheck().getTest()).startsWith("CMD", "java");
    System.out.printf(
        Locale.ROOT,
        "%s: %.1f MB (base %s)%n",
        TestImages.llmemu(),
        image.getSize() / 1e6,
        image.getConfig().getLabels().get("org.opencontainers.image.base.name"));
  }

  @Test
  void dockerHealthcheckWorksWithoutAShell() {
    try (GenericContainer<?> plain =
        new GenericContainer<>(DockerImageName.parse(TestImages.llmemu()))
            .withExposedPorts(8000)
            .withCommand("--time-scale", "0.1")
            .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofSeconds(90)))) {
      plain.start();

      assertThat(plain.isHealthy()).isTrue();
      String url = "http://" + plain.getHost() + ":" + plain.getMappedPort(8000) + "/health";
      assertThat(Http.get(url).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void takesTheCliFlags() {
    try (GenericContainer<?> help =
        new GenericContainer<>(DockerImageName.parse(TestImages.llmemu()))
            .withCommand("--help")
            .withStartupCheckStrategy(
                new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(60)))) {
      help.start();

      assertThat(help.getLogs())
          .contains("Usage: llmemu serve")
          .contains("--max-num-seqs=N", "--max-model-len=N", "--profile=PROFILE", "--time-scale");
    }
  }
}
