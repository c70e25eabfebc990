package dev.llmemu.examples.router;

import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.server.EmulatedVllmServer;

/**
 * The replicas the tests run: an A100 with Llama 3.1 8B, its batch capped at eight requests so that
 * requests queue at rates a small CI machine can drive, and without prefix caching so that runs
 * sending the same prompts do not warm each other's caches.
 */
final class Replicas {
  static final String PROFILE = "a100-llama-3.1-8b";
  static final String MAX_NUM_SEQS = "8";
  static final String NO_PREFIX_CACHING = "--no-enable-prefix-caching";

  private Replicas() {}

  /**
   * The profile with the engine settings these flags give the replicas (the time scale aside): what
   * the predictive router needs to know of them.
   */
  static HardwareProfile profile() {
    EmulatedVllmServer.Builder replica =
        EmulatedVllmServer.builder()
            .profile(PROFILE)
            .args("--max-num-seqs", MAX_NUM_SEQS, NO_PREFIX_CACHING);
    return replica.profile().withEngineConfig(replica.engineConfig());
  }
}
