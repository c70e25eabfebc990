package dev.llmemu.engine;

/** Why a request finished, with vLLM's wire names. */
public enum FinishReason {
  /** EOS, a stop token id or a stop string. */
  STOP("stop"),
  /** {@code max_tokens} or {@code max_model_len} reached. */
  LENGTH("length"),
  /** Aborted by the client (disconnect, time-out) or by the emulator. */
  ABORT("abort");

  private final String wireName;

  FinishReason(String wireName) {
    this.wireName = wireName;
  }

  /** The name vLLM puts in {@code finish_reason} and in the {@code finished_reason} label. */
  public String wireName() {
    return wireName;
  }
}
