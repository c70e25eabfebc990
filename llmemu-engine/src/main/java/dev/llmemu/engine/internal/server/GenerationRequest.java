package dev.llmemu.engine.internal.server;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** A validated {@code /v1/completions} or {@code /v1/chat/completions} request. */
final class GenerationRequest {
  enum Kind {
    COMPLETION,
    CHAT
  }

  Kind kind;
  @Nullable String model;

  /** One entry per prompt (chat: exactly one). */
  List<int[]> prompts = List.of();

  /** Prompt texts for echo (null entries for token-id prompts until decoded). */
  List<@Nullable String> promptTexts = List.of();

  boolean stream;
  boolean includeUsage;
  boolean continuousUsage;
  int n = 1;

  /** The requested output limit: completions default 16; chat null unless given. */
  @Nullable Integer maxTokens;

  int minTokens;
  boolean ignoreEos;
  List<String> stop = List.of();
  int[] stopTokenIds = new int[0];
  boolean includeStopStrInOutput;
  @Nullable Long seed;
  int priority;

  /** Completions: top-k logprobs ({@code logprobs: int}); chat: {@code top_logprobs}. */
  @Nullable Integer logprobs;

  boolean echo;
  boolean returnTokenIds;
  @Nullable String bodyRequestId;
  @Nullable String cacheSalt;

  /** Chat with echo: the last message, echoed when its role is the response role. */
  @Nullable String echoContent;

  String responseRole = "assistant";

  GenerationRequest(Kind kind) {
    this.kind = kind;
  }

  int numChoices() {
    return prompts.size() * n;
  }

  int totalPromptTokens() {
    int sum = 0;
    for (int[] p : prompts) {
      sum += p.length;
    }
    return sum;
  }
}
