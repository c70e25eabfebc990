package dev.llmemu.profiles.builder;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.engine.profile.Profiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The committed catalog is what the builder makes from the data and the committed calibration. */
class CatalogTest {

  @Test
  void committedProfilesAreUpToDateWithTheBuilder() throws IOException {
    Path data = DataAvailable.require();
    KernelData h100 = KernelData.load(data, GpuSpec.H100);
    Overheads overheads = Calibration.load();
    for (CatalogCommand.Entry e : CatalogCommand.ENTRIES) {
      if (e.gpu() != GpuSpec.H100 || !(e.model() == ModelSpec.LLAMA_3_1_8B || e.tp() == 4)) {
        continue;
      }
      String name = ProfileBuilder.name(e.gpu(), e.model(), e.tp());
      ObjectNode built =
          ProfileBuilder.build(
              name,
              h100,
              e.model(),
              e.tp(),
              EngineSettings.defaultsFor(e.gpu()),
              overheads,
              ProfileBuilder.JSON.createObjectNode(),
              null);
      JsonNode rebuilt =
          ProfileBuilder.JSON.readTree(ProfileBuilder.JSON.writeValueAsString(built));
      JsonNode committed;
      try (InputStream in =
          Profiles.class.getResourceAsStream("/dev/llmemu/profiles/" + name + ".json")) {
        committed = ProfileBuilder.JSON.readTree(in);
      }
      assertThat(rebuilt.get("latency"))
          .as("%s: regenerate the catalog (docs/profiles.md)", name)
          .isEqualTo(committed.get("latency"));
      assertThat(rebuilt.get("kv_cache")).as(name).isEqualTo(committed.get("kv_cache"));
      assertThat(rebuilt.get("engine")).as(name).isEqualTo(committed.get("engine"));
    }
  }

  @Test
  void everyCatalogEntryIsBundledAndTheCalibrationIsCommitted() {
    for (CatalogCommand.Entry e : CatalogCommand.ENTRIES) {
      assertThat(Profiles.knownNames()).contains(ProfileBuilder.name(e.gpu(), e.model(), e.tp()));
    }
    assertThat(CatalogCommand.ENTRIES).hasSize(13);
    Overheads o = Calibration.load();
    assertThat(o.frontendUs()).isPositive();
    assertThat(o.frontendPerOutputUs()).isPositive();
    // Every bundled profile carries the same front-end terms (they model vLLM's API server, not
    // the GPU or the model).
    for (String name : Profiles.knownNames()) {
      var p = Profiles.load(name);
      assertThat(p.frontendLatency().toNanos())
          .as(name)
          .isEqualTo(Math.round(o.frontendUs() * 1000));
      assertThat(p.frontendPerOutput().toNanos())
          .as(name)
          .isEqualTo(Math.round(o.frontendPerOutputUs() * 1000));
    }
  }

  @Test
  void nonNegativeLeastSquaresKeepsTermsPhysical() {
    // y = 100 + 2n exactly: recovered.
    var exact =
        java.util.List.of(
            new double[] {1000, 120, 1, 10},
            new double[] {1000, 140, 1, 20},
            new double[] {1000, 180, 1, 40});
    assertThat(Calibration.nnls(exact))
        .containsExactly(new double[] {100, 2}, org.assertj.core.api.Assertions.within(1e-6));
    // A falling trend cannot make a term negative: the slope is dropped.
    var falling =
        java.util.List.of(new double[] {1000, 100, 1, 10}, new double[] {1000, 50, 1, 40});
    double[] fit = Calibration.nnls(falling);
    assertThat(fit[0]).isPositive();
    assertThat(fit[1]).isZero();
  }
}
