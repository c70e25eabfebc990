package dev.llmemu.profiles.builder;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.profiles.fidelity.InferencePerfExperiment;

/** Builds the profile a real experiment ran on, with the experiment's own engine settings. */
public final class ExperimentProfiles {
  private ExperimentProfiles() {}

  /** The catalog model whose Hugging Face id matches the experiment's model. */
  public static ModelSpec modelOf(String hfId) {
    for (ModelSpec m : ModelSpec.all()) {
      if (m.geometry().id().equalsIgnoreCase(hfId)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "no geometry for model '"
            + hfId
            + "'; known: "
            + ModelSpec.all().stream().map(m -> m.geometry().id()).toList());
  }

  /**
   * The engine settings of the experiment (vLLM ≈ 0.15: async scheduling and prefix caching on).
   */
  public static EngineSettings engineOf(InferencePerfExperiment exp) {
    return new EngineSettings(
        exp.maxNumSeqs(),
        exp.maxNumBatchedTokens(),
        exp.maxModelLen(),
        16,
        0.9,
        true,
        true,
        "0.15");
  }

  public static HardwareProfile build(
      InferencePerfExperiment exp, KernelData data, Overheads overheads) {
    ModelSpec model = modelOf(exp.model());
    int tp = exp.tensorParallelSize();
    ObjectNode doc =
        ProfileBuilder.build(
            ProfileBuilder.name(data.gpu(), model, tp) + "-" + exp.label(),
            data,
            model,
            tp,
            engineOf(exp),
            overheads,
            ProfileBuilder.JSON.createObjectNode(),
            null);
    return ProfileBuilder.load(doc);
  }
}
