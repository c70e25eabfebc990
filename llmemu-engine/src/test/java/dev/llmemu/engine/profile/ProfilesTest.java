package dev.llmemu.engine.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfilesTest {

  @Test
  void theDefaultProfileIsBundledAndIsAnH100() {
    assertThat(Profiles.knownNames()).contains(Profiles.DEFAULT_PROFILE);
    HardwareProfile p = Profiles.load(Profiles.DEFAULT_PROFILE);

    assertThat(p.name()).isEqualTo("h100-llama-3.1-8b");
    assertThat(p.model()).isEqualTo("meta-llama/Llama-3.1-8B");
    assertThat(p.gpu()).isEqualTo("NVIDIA H100 80GB HBM3");
    assertThat(p.source()).isEqualTo("h100-llama-3.1-8b");
    assertThat(Profiles.load(Profiles.DEFAULT_PROFILE)).isSameAs(p);
  }

  @Test
  void everyBundledProfileLoadsWithVllmDefaultsForItsGpu() {
    assertThat(Profiles.knownNames())
        .contains(
            "h100-llama-3.1-8b",
            "h100-llama-2-7b",
            "h100-qwen3-8b",
            "h100-qwen3-14b",
            "h100-mistral-7b",
            "a100-llama-3.1-8b",
            "a100-llama-2-7b",
            "a100-qwen3-8b",
            "a100-qwen3-14b",
            "a100-mistral-7b",
            "h100-llama-3.1-70b-tp4",
            "h100-llama-2-70b-tp4",
            "h100-codellama-34b-tp2")
        .isSorted();
    for (String name : Profiles.knownNames()) {
      HardwareProfile p = Profiles.load(name);
      assertThat(p.name()).isEqualTo(name);
      assertThat(p.engineConfig().asyncScheduling()).as(name).isTrue();
      assertThat(p.engineConfig().enablePrefixCaching()).as(name).isTrue();
      assertThat(p.engineConfig().blockSize()).as(name).isEqualTo(16);
      if (name.startsWith("h100")) {
        assertThat(p.engineConfig().maxNumBatchedTokens()).as(name).isEqualTo(8192);
        assertThat(p.engineConfig().maxNumSeqs()).as(name).isEqualTo(1024);
      } else {
        assertThat(p.engineConfig().maxNumBatchedTokens()).as(name).isEqualTo(2048);
        assertThat(p.engineConfig().maxNumSeqs()).as(name).isEqualTo(256);
      }
      assertThat(p.tensorParallelSize())
          .isEqualTo(name.endsWith("-tp4") ? 4 : name.endsWith("-tp2") ? 2 : 1);
      assertThat(p.kvCacheTokens()).as(name).isGreaterThanOrEqualTo(p.engineConfig().maxModelLen());
      assertThat(p.provenance()).as(name).isPresent();
      assertThat(p.fidelity()).as(name).isPresent();
    }
  }

  @Test
  void bundledProfilesStaySmall() throws IOException {
    for (String name : Profiles.knownNames()) {
      try (var in = Profiles.class.getResourceAsStream("/dev/llmemu/profiles/" + name + ".json")) {
        assertThat(in.readAllBytes().length).as(name).isLessThan(256 * 1024);
      }
    }
  }

  @Test
  void anUnknownNameFailsWithTheKnownNames() {
    assertThatThrownBy(() -> Profiles.load("h100x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "unknown hardware profile 'h100x': it is not a bundled profile name and there is no file at")
        .hasMessageContaining("Known profiles: " + Profiles.knownNames())
        .hasMessageEndingWith(
            "Pass one of these names, the path of a profile JSON (llmemu format or an LLM-Emu pack)"
                + " or a URL.");
  }

  @Test
  void loadsByPathByUrlFromTheClasspathAndGzipped(@TempDir Path dir) throws IOException {
    Path pack = LlmEmuPackTest.resource("llm-emu-pack-2.0.json");

    assertThat(Profiles.load(pack.toString()).model()).isEqualTo("Qwen/Qwen3-8B");
    assertThat(Profiles.load(pack.toUri().toString()).format()).isEqualTo("llm-emu/2.0");
    assertThat(Profiles.load("classpath:dev/llmemu/engine/profile/tiny-kernel-profile.json").name())
        .isEqualTo("test-tiny");
    Path gz = dir.resolve("pack.json.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      Files.copy(pack, out);
    }
    assertThat(Profiles.load(gz.toString()).model()).isEqualTo("Qwen/Qwen3-8B");
    assertThatThrownBy(() -> Profiles.load("classpath:nope.json"))
        .hasMessage("hardware profile 'classpath:nope.json': no such resource on the classpath");
  }

  @Test
  void withEngineConfigKeepsEverythingElse() {
    HardwareProfile p = Profiles.load("a100-qwen3-8b");
    HardwareProfile q = p.withEngineConfig(p.engineConfig().toBuilder().maxNumSeqs(8).build());

    assertThat(q.engineConfig().maxNumSeqs()).isEqualTo(8);
    assertThat(q.latencyModel()).isSameAs(p.latencyModel());
    assertThat(q.frontendLatency()).isEqualTo(p.frontendLatency());
    assertThat(q.frontendPerOutput()).isEqualTo(p.frontendPerOutput());
    assertThat(q.name()).isEqualTo(p.name());
  }
}
