package dev.llmemu.engine.internal.profile;

import dev.llmemu.engine.StepBatch;
import java.util.Locale;

/** A property of a step's batch that an empirical profile can be keyed by. */
public enum StepDimension {
  /** Tokens scheduled in the step (LLM-Emu's {@code tt}). */
  TT("tt"),
  /** Requests scheduled in the step, at least 1 (LLM-Emu's {@code conc}). */
  CONC("conc"),
  /** Requests scheduled for the first time (LLM-Emu 2.1's {@code new_reqs}). */
  NEW_REQS("new_reqs"),
  /** Context tokens attended: decode KV lengths plus prefill chunks and their cached prefixes. */
  CTX("ctx"),
  /** Decoding requests. */
  DECODES("decodes");

  private final String key;

  StepDimension(String key) {
    this.key = key;
  }

  /** The dimension's name in profile files. */
  public String key() {
    return key;
  }

  public static StepDimension of(String key) {
    for (StepDimension d : values()) {
      if (d.key.equals(key.toLowerCase(Locale.ROOT))) {
        return d;
      }
    }
    throw new IllegalArgumentException(key);
  }

  double value(StepBatch batch) {
    switch (this) {
      case TT:
        return batch.totalTokens();
      case CONC:
        return Math.max(batch.numRequests(), 1);
      case NEW_REQS:
        return batch.numNewRequests();
      case CTX:
        long ctx = batch.decodeContextTokens();
        for (int i = 0; i < batch.numPrefills(); i++) {
          ctx += batch.prefillContextTokens(i) + batch.prefillChunkTokens(i);
        }
        return ctx;
      case DECODES:
        return batch.numDecodes();
      default:
        throw new AssertionError(this);
    }
  }
}
