package dev.llmemu.engine.internal.profile;

import dev.llmemu.engine.StepBatch;

/** A hand-made step composition for latency-model tests. */
record TestBatch(
    int numNewRequests, int numDecodes, long decodeContextTokens, int[] chunks, int[] contexts)
    implements StepBatch {

  static TestBatch decode(int requests, int meanKv) {
    return new TestBatch(0, requests, (long) requests * meanKv, new int[0], new int[0]);
  }

  static TestBatch prefill(int chunk, int context) {
    return new TestBatch(1, 0, 0, new int[] {chunk}, new int[] {context});
  }

  @Override
  public int totalTokens() {
    int t = numDecodes;
    for (int c : chunks) {
      t += c;
    }
    return t;
  }

  @Override
  public int numRequests() {
    return numDecodes + chunks.length;
  }

  @Override
  public int numPrefills() {
    return chunks.length;
  }

  @Override
  public int prefillChunkTokens(int i) {
    return chunks[i];
  }

  @Override
  public int prefillContextTokens(int i) {
    return contexts[i];
  }
}
