package dev.llmemu.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.utility.MountableFile;

/** Profiles that are not in the image, copied in with {@link LlmemuContainer#withProfileFile}. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CustomProfileIT {

  @Test
  void servesAnLlmemuProfileFromTheClasspath() {
    // tag::profile-file[]
    try (LlmemuContainer vllm =
        new LlmemuContainer(LlmemuContainer.bundledImage())
            .withProfileFile(MountableFile.forClasspathResource("profiles/tiny-test-gpu.json"))) {
      vllm.start();
      // serves the profile's model, test/tiny-model, with its latencies and KV cache
      // end::profile-file[]

      // the profile's model, context length and KV cache, none of which a bundled profile has
      JsonNode models = Http.getJson(vllm.getOpenAiBaseUrl() + "/models");
      assertThat(models.at("/data/0/id").asText()).isEqualTo("test/tiny-model");
      assertThat(models.at("/data/0/max_model_len").asInt()).isEqualTo(2048);
      assertThat(Http.get(vllm.getBaseUrl() + "/metrics").body())
          .contains("num_gpu_blocks=\"257\"");
      assertThat(vllm.getOutput())
          .contains("profile test-tiny-gpu (test/tiny-model on Tiny Test GPU)");
      assertThat(vllm.getServeArgs())
          .containsExactly("--profile", "/app/profiles/tiny-test-gpu.json");
      assertCompletes(vllm, "test/tiny-model");
    }
  }

  @Test
  void servesAGzippedLlmEmuPack() {
    try (LlmemuContainer vllm =
        new LlmemuContainer(TestImages.llmemu())
            .withProfileFile(
                MountableFile.forClasspathResource("profiles/llm-emu-a40-qwen3-8b.json.gz"))
            .withTimeScale(0.1)) {
      vllm.start();

      assertThat(vllm.getOutput())
          .contains("profile llm-emu-a40-qwen-qwen3-8b (Qwen/Qwen3-8B on NVIDIA A40)");
      assertCompletes(vllm, "Qwen/Qwen3-8B");
    }
  }

  @Test
  void readsAHostFileOnlyItsOwnerMayRead(@TempDir Path dir) throws IOException {
    Path profile = dir.resolve("private-profile.json");
    try (InputStream in =
        CustomProfileIT.class.getResourceAsStream("/profiles/tiny-test-gpu.json")) {
      Files.copy(in, profile, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.setPosixFilePermissions(profile, PosixFilePermissions.fromString("rw-------"));

    try (LlmemuContainer vllm =
        new LlmemuContainer(TestImages.llmemu())
            .withProfileFile(MountableFile.forHostPath(profile))) {
      vllm.start();

      assertThat(vllm.getServeArgs())
          .containsExactly("--profile", "/app/profiles/private-profile.json");
      assertThat(Http.getJson(vllm.getOpenAiBaseUrl() + "/models").at("/data/0/id").asText())
          .isEqualTo("test/tiny-model");
    }
  }

  private static void assertCompletes(LlmemuContainer vllm, String model) {
    HttpResponse<String> response =
        Http.postJson(
            vllm.getOpenAiBaseUrl() + "/completions",
            "{\"model\":\"" + model + "\",\"prompt\":\"Hello\",\"max_tokens\":3}");
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = Http.json(response.body());
    assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(3);
    assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");
  }
}
