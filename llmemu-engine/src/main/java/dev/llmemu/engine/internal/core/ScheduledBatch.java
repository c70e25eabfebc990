package dev.llmemu.engine.internal.core;

import dev.llmemu.engine.StepBatch;
import java.util.Arrays;

/** The output of one {@code schedule()} call, reused from step to step. */
public final class ScheduledBatch implements StepBatch {
  Request[] requests = new Request[64];
  int[] tokens = new int[64];
  int[] contextBefore = new int[64];
  boolean[] isNew = new boolean[64];
  int size;
  int totalTokens;
  int numNew;

  private int[] prefillChunk = new int[16];
  private int[] prefillContext = new int[16];
  private int numPrefills;
  private int numDecodes;
  private long decodeContext;

  void clear() {
    Arrays.fill(requests, 0, size, null);
    size = 0;
    totalTokens = 0;
    numNew = 0;
  }

  void add(Request r, int n, boolean brandNew) {
    if (size == requests.length) {
      int cap = size * 2;
      requests = Arrays.copyOf(requests, cap);
      tokens = Arrays.copyOf(tokens, cap);
      contextBefore = Arrays.copyOf(contextBefore, cap);
      isNew = Arrays.copyOf(isNew, cap);
    }
    requests[size] = r;
    tokens[size] = n;
    isNew[size] = brandNew;
    size++;
    totalTokens += n;
    if (brandNew) {
      numNew++;
    }
  }

  /** Drops an entry (priority preemption of a request already scheduled this step). */
  int removeRequest(Request r) {
    for (int i = 0; i < size; i++) {
      if (requests[i] == r) {
        int n = tokens[i];
        totalTokens -= n;
        if (isNew[i]) {
          numNew--;
        }
        int tail = size - i - 1;
        System.arraycopy(requests, i + 1, requests, i, tail);
        System.arraycopy(tokens, i + 1, tokens, i, tail);
        System.arraycopy(isNew, i + 1, isNew, i, tail);
        System.arraycopy(contextBefore, i + 1, contextBefore, i, tail);
        size--;
        requests[size] = null;
        return n;
      }
    }
    return -1;
  }

  boolean contains(Request r) {
    for (int i = 0; i < size; i++) {
      if (requests[i] == r) {
        return true;
      }
    }
    return false;
  }

  /** Classifies entries once computed-token counts are final (Phase C). */
  void classify() {
    numPrefills = 0;
    numDecodes = 0;
    decodeContext = 0;
    for (int i = 0; i < size; i++) {
      Request r = requests[i];
      int before = contextBefore[i];
      if (tokens[i] == 1 && before >= r.numPromptTokens) {
        numDecodes++;
        decodeContext += before;
      } else {
        if (numPrefills == prefillChunk.length) {
          prefillChunk = Arrays.copyOf(prefillChunk, numPrefills * 2);
          prefillContext = Arrays.copyOf(prefillContext, numPrefills * 2);
        }
        prefillChunk[numPrefills] = tokens[i];
        prefillContext[numPrefills] = before;
        numPrefills++;
      }
    }
  }

  public int size() {
    return size;
  }

  public Request request(int i) {
    return requests[i];
  }

  public int tokens(int i) {
    return tokens[i];
  }

  @Override
  public int totalTokens() {
    return totalTokens;
  }

  @Override
  public int numRequests() {
    return size;
  }

  @Override
  public int numNewRequests() {
    return numNew;
  }

  @Override
  public int numDecodes() {
    return numDecodes;
  }

  @Override
  public long decodeContextTokens() {
    return decodeContext;
  }

  @Override
  public int numPrefills() {
    return numPrefills;
  }

  @Override
  public int prefillChunkTokens(int i) {
    if (i >= numPrefills) {
      throw new IndexOutOfBoundsException(i);
    }
    return prefillChunk[i];
  }

  @Override
  public int prefillContextTokens(int i) {
    if (i >= numPrefills) {
      throw new IndexOutOfBoundsException(i);
    }
    return prefillContext[i];
  }
}
