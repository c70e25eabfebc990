package dev.llmemu.engine.internal.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmemu.engine.internal.text.Tokenizer;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Turns request bodies into {@link GenerationRequest}s with vLLM v0.18's validation: pydantic type
 * errors (400 "Bad Request"), its model validators ({@code VLLMValidationError}s, with {@code
 * param}), and the serving layer's checks (400 "BadRequestError").
 */
final class OpenAiRequests {
  static final int MAX_LOGPROBS = 20;

  /** vLLM's {@code VLLM_MAX_COMPLETION_PROMPTS} default: prompts per completions request. */
  static final int MAX_PROMPTS = 1024;

  /**
   * Stop strings and stop token ids per request, at most: the engine checks each against every new
   * token, so an unbounded list would slow every request's steps.
   */
  static final int MAX_STOP = 1024;

  /** vLLM v0.18's CompletionRequest fields, in declaration order (pydantic's error order). */
  static final List<String> COMPLETION_FIELDS =
      List.of(
          "model",
          "prompt",
          "echo",
          "frequency_penalty",
          "logit_bias",
          "logprobs",
          "max_tokens",
          "n",
          "presence_penalty",
          "seed",
          "stop",
          "stream",
          "stream_options",
          "suffix",
          "temperature",
          "top_p",
          "user",
          "use_beam_search",
          "top_k",
          "min_p",
          "repetition_penalty",
          "length_penalty",
          "stop_token_ids",
          "include_stop_str_in_output",
          "ignore_eos",
          "min_tokens",
          "skip_special_tokens",
          "spaces_between_special_tokens",
          "truncate_prompt_tokens",
          "allowed_token_ids",
          "prompt_logprobs",
          "prompt_embeds",
          "add_special_tokens",
          "response_format",
          "priority",
          "request_id",
          "return_token_ids",
          "cache_salt");

  /** vLLM v0.18's ChatCompletionRequest fields, in declaration order. */
  static final List<String> CHAT_FIELDS =
      List.of(
          "messages",
          "model",
          "frequency_penalty",
          "logit_bias",
          "logprobs",
          "top_logprobs",
          "max_tokens",
          "max_completion_tokens",
          "n",
          "presence_penalty",
          "response_format",
          "seed",
          "stop",
          "stream",
          "stream_options",
          "temperature",
          "top_p",
          "tools",
          "tool_choice",
          "reasoning_effort",
          "include_reasoning",
          "parallel_tool_calls",
          "user",
          "use_beam_search",
          "top_k",
          "min_p",
          "repetition_penalty",
          "length_penalty",
          "stop_token_ids",
          "include_stop_str_in_output",
          "ignore_eos",
          "min_tokens",
          "skip_special_tokens",
          "spaces_between_special_tokens",
          "truncate_prompt_tokens",
          "prompt_logprobs",
          "allowed_token_ids",
          "bad_words",
          "echo",
          "add_generation_prompt",
          "continue_final_message",
          "add_special_tokens",
          "documents",
          "chat_template",
          "chat_template_kwargs",
          "mm_processor_kwargs",
          "structured_outputs",
          "priority",
          "request_id",
          "logits_processors",
          "return_tokens_as_token_ids",
          "return_token_ids",
          "cache_salt");

  private OpenAiRequests() {}

  static GenerationRequest completion(JsonNode body, int maxNumSeqs) {
    PyErrors errors = new PyErrors(COMPLETION_FIELDS);
    errors.requireObject(body);
    Fields f = new Fields(body, errors);
    GenerationRequest r = new GenerationRequest(GenerationRequest.Kind.COMPLETION);
    common(f, r);
    Integer maxTokens = f.integer("max_tokens");
    r.maxTokens = maxTokens == null ? 16 : maxTokens;
    r.echo = f.bool("echo", false);
    r.logprobs = f.integer("logprobs");
    String suffix = f.string("suffix");
    JsonNode prompt = body.get("prompt");
    List<int[]> prompts = new ArrayList<>();
    List<@Nullable String> texts = new ArrayList<>();
    boolean promptEmpty =
        prompt == null || prompt.isNull() || (prompt.isTextual() && prompt.textValue().isEmpty());
    boolean tooMany =
        prompt != null
            && prompt.isArray()
            && prompt.size() > MAX_PROMPTS
            && !prompt.get(0).isNumber();
    if (tooMany) {
      errors.valueError(
          "prompt list length "
              + prompt.size()
              + " exceeds the maximum allowed count of "
              + MAX_PROMPTS
              + ". To increase this limit, set the VLLM_MAX_COMPLETION_PROMPTS environment"
              + " variable.",
          "prompt",
          body);
    }
    if (!promptEmpty && !tooMany) {
      readPrompt(f, prompt, prompts, texts);
    }
    JsonNode embeds = body.get("prompt_embeds");
    boolean embedsEmpty =
        embeds == null || embeds.isNull() || (embeds.isArray() && embeds.isEmpty());
    if (promptEmpty && embedsEmpty) {
      errors.valueError(
          "Either prompt or prompt_embeds must be provided and non-empty.", "prompt", body);
    }
    validators(f, r, body);
    if (r.logprobs != null && r.logprobs < 0 && r.logprobs != -1) {
      errors.valueError("`logprobs` must be a positive value or -1.", "logprobs", body);
    }
    if (!errors.isEmpty()) {
      throw errors.toApiError();
    }
    if (!embedsEmpty) {
      throw ApiError.badRequest(
          "llmemu does not support prompt_embeds: send text or token ids", "prompt_embeds");
    }
    if (suffix != null) {
      throw ApiError.badRequest("suffix is not currently supported", null);
    }
    r.prompts = prompts;
    r.promptTexts = texts;
    serving(r, maxNumSeqs, f);
    if (r.logprobs != null && r.logprobs > MAX_LOGPROBS) {
      throw ApiError.badRequest(
          "Requested sample logprobs of "
              + r.logprobs
              + ", which is greater than max allowed: "
              + MAX_LOGPROBS,
          "logprobs");
    }
    if (r.logprobs != null && r.logprobs == -1) {
      r.logprobs = MAX_LOGPROBS;
    }
    return r;
  }

  private static void readPrompt(
      Fields f, JsonNode prompt, List<int[]> prompts, List<@Nullable String> texts) {
    PyErrors errors = f.errors;
    if (prompt.isTextual()) {
      prompts.add(Tokenizer.get().encode(prompt.textValue()));
      texts.add(prompt.textValue());
      return;
    }
    if (prompt.isArray()) {
      if (prompt.isEmpty()) {
        return;
      }
      JsonNode first = prompt.get(0);
      if (first.isTextual()) {
        for (int i = 0; i < prompt.size(); i++) {
          JsonNode p = prompt.get(i);
          if (!p.isTextual()) {
            errors.add(
                "string_type",
                List.of("prompt", "list[str]", i),
                "Input should be a valid string",
                p);
            return;
          }
          prompts.add(Tokenizer.get().encode(p.textValue()));
          texts.add(p.textValue());
        }
        return;
      }
      if (first.isArray()) {
        for (int i = 0; i < prompt.size(); i++) {
          int[] ids =
              f.intList(prompt.get(i), List.of("prompt", "list[list[constrained-int]]", i), 0);
          if (ids == null) {
            return;
          }
          prompts.add(ids);
          texts.add(null);
        }
        return;
      }
      int[] ids = f.intList(prompt, List.of("prompt", "list[constrained-int]"), 0);
      if (ids != null) {
        prompts.add(ids);
        texts.add(null);
      }
      return;
    }
    errors.add("string_type", List.of("prompt", "str"), "Input should be a valid string", prompt);
    errors.add("list_type", List.of("prompt", "list[str]"), "Input should be a valid list", prompt);
  }

  static GenerationRequest chat(JsonNode body, int maxNumSeqs) {
    PyErrors errors = new PyErrors(CHAT_FIELDS);
    errors.requireObject(body);
    Fields f = new Fields(body, errors);
    GenerationRequest r = new GenerationRequest(GenerationRequest.Kind.CHAT);
    common(f, r);
    Integer maxCompletion = f.integer("max_completion_tokens");
    Integer maxTokens = f.integer("max_tokens");
    r.maxTokens = maxCompletion != null ? maxCompletion : maxTokens;
    Boolean logprobs = f.bool("logprobs");
    Integer topLogprobs = f.integer("top_logprobs");
    boolean addGenerationPrompt = f.bool("add_generation_prompt", true);
    boolean continueFinal = f.bool("continue_final_message", false);
    r.echo = f.bool("echo", false);
    List<ChatTemplate.Message> messages = messages(f, body);
    String template = f.string("chat_template");
    JsonNode tools = f.get("tools");
    JsonNode toolChoice = f.get("tool_choice");
    validators(f, r, body);
    if (topLogprobs != null && topLogprobs < 0 && topLogprobs != -1) {
      errors.valueError("`top_logprobs` must be a positive value or -1.", "top_logprobs", body);
    }
    if (topLogprobs != null && topLogprobs != 0 && !Boolean.TRUE.equals(logprobs)) {
      errors.valueError(
          "when using `top_logprobs`, `logprobs` must be set to true.", "top_logprobs", body);
    }
    if (continueFinal && addGenerationPrompt && body.has("add_generation_prompt")) {
      errors.valueError(
          "Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
          "continue_final_message",
          body);
    }
    if (!errors.isEmpty()) {
      throw errors.toApiError();
    }
    if (template != null) {
      throw ApiError.badRequest(
          "Chat template is passed with request, but --trust-request-chat-template is not set."
              + " Refused request with untrusted chat template.",
          null);
    }
    if (toolChoice != null && tools != null && tools.isArray() && !tools.isEmpty()) {
      String choice = toolChoice.isTextual() ? toolChoice.textValue() : "named";
      if (choice.equals("auto")) {
        throw ApiError.badRequest(
            "\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be"
                + " set",
            null);
      }
      if (!choice.equals("none")) {
        throw ApiError.badRequest(
            "llmemu does not emulate tool calling: tool_choice '" + choice + "' is not supported",
            "tool_choice");
      }
    }
    if (messages.isEmpty()) {
      throw ApiError.badRequest("llmemu needs at least one message to build a prompt", "messages");
    }
    ChatTemplate.Rendered rendered =
        ChatTemplate.render(messages, addGenerationPrompt, continueFinal);
    r.prompts = List.of(rendered.tokenIds());
    List<@Nullable String> texts = new ArrayList<>();
    texts.add(rendered.text());
    r.promptTexts = texts;
    if (!addGenerationPrompt) {
      r.responseRole = messages.get(messages.size() - 1).role();
    }
    ChatTemplate.Message last = messages.get(messages.size() - 1);
    if (r.echo && last.role().equals(r.responseRole)) {
      r.echoContent = last.content();
    }
    if (Boolean.TRUE.equals(logprobs)) {
      int k = topLogprobs == null ? 0 : topLogprobs == -1 ? MAX_LOGPROBS : topLogprobs;
      if (k > MAX_LOGPROBS) {
        throw ApiError.badRequest(
            "Requested sample logprobs of "
                + k
                + ", which is greater than max allowed: "
                + MAX_LOGPROBS,
            "top_logprobs");
      }
      r.logprobs = k;
    }
    serving(r, maxNumSeqs, f);
    return r;
  }

  private static List<ChatTemplate.Message> messages(Fields f, JsonNode body) {
    PyErrors errors = f.errors;
    JsonNode node = body.get("messages");
    List<ChatTemplate.Message> out = new ArrayList<>();
    if (node == null) {
      errors.add("missing", List.of("messages"), "Field required", body);
      return out;
    }
    if (!node.isArray()) {
      errors.add("list_type", List.of("messages"), "Input should be a valid list", node);
      return out;
    }
    for (int i = 0; i < node.size(); i++) {
      JsonNode m = node.get(i);
      if (!m.isObject()) {
        errors.add("dict_type", List.of("messages", i), "Input should be a valid dictionary", m);
        continue;
      }
      JsonNode role = m.get("role");
      if (role == null) {
        errors.add("missing", List.of("messages", i, "role"), "Field required", m);
        continue;
      }
      if (!role.isTextual()) {
        errors.add(
            "string_type", List.of("messages", i, "role"), "Input should be a valid string", role);
        continue;
      }
      String content = content(f, m.get("content"), List.of("messages", i, "content"));
      if (content == null) {
        continue;
      }
      out.add(new ChatTemplate.Message(role.textValue(), content));
    }
    return out;
  }

  /** A message's content as text: a string, a list of text parts, or null (empty). */
  private static @Nullable String content(Fields f, @Nullable JsonNode c, List<Object> loc) {
    if (c == null || c.isNull()) {
      return "";
    }
    if (c.isTextual()) {
      return c.textValue();
    }
    if (!c.isArray()) {
      f.errors.add("string_type", Fields.append(loc, "str"), "Input should be a valid string", c);
      f.errors.add("list_type", Fields.append(loc, "list"), "Input should be a valid list", c);
      return null;
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < c.size(); i++) {
      JsonNode part = c.get(i);
      if (part.isTextual()) {
        appendPart(text, part.textValue());
        continue;
      }
      if (!part.isObject()) {
        f.errors.add(
            "dict_type", Fields.append(loc, i), "Input should be a valid dictionary", part);
        return null;
      }
      JsonNode type = part.get("type");
      String t = type != null && type.isTextual() ? type.textValue() : "text";
      if (t.equals("text") || t.equals("input_text") || t.equals("refusal")) {
        JsonNode tx = part.get(t.equals("refusal") ? "refusal" : "text");
        if (tx == null || !tx.isTextual()) {
          f.errors.add(
              "missing", Fields.append(Fields.append(loc, i), "text"), "Field required", part);
          return null;
        }
        appendPart(text, tx.textValue());
      } else {
        throw ApiError.badRequest(
            "llmemu emulates a text-only model: content part type '" + t + "' is not supported",
            "messages");
      }
    }
    return text.toString();
  }

  private static void appendPart(StringBuilder text, String part) {
    // vLLM's "string" content format joins text parts with newlines.
    if (text.length() > 0) {
      text.append('\n');
    }
    text.append(part);
  }

  /** Fields both endpoints share. */
  private static void common(Fields f, GenerationRequest r) {
    JsonNode model = f.get("model");
    if (model != null && !model.isTextual()) {
      f.errors.add("string_type", List.of("model"), "Input should be a valid string", model);
    } else if (model != null) {
      r.model = model.textValue();
    }
    r.n = f.integer("n", 1);
    BigInteger seed = f.bigInt("seed");
    if (seed != null) {
      if (seed.compareTo(Fields.LONG_MIN) < 0) {
        f.errors.add(
            "greater_than_equal",
            List.of("seed"),
            "Input should be greater than or equal to -9223372036854775808",
            f.get("seed"));
      } else if (seed.compareTo(Fields.LONG_MAX) > 0) {
        f.errors.add(
            "less_than_equal",
            List.of("seed"),
            "Input should be less than or equal to 9223372036854775807",
            f.get("seed"));
      } else {
        r.seed = seed.longValue();
      }
    }
    r.stop = f.stopList("stop");
    r.stream = f.bool("stream", false);
    int[] stopIds = f.intList("stop_token_ids", null);
    r.stopTokenIds = stopIds == null ? new int[0] : stopIds;
    r.includeStopStrInOutput = f.bool("include_stop_str_in_output", false);
    r.ignoreEos = f.bool("ignore_eos", false);
    r.minTokens = f.integer("min_tokens", 0);
    r.priority = f.integer("priority", 0);
    r.returnTokenIds = f.bool("return_token_ids", false);
    r.bodyRequestId = f.string("request_id");
    r.cacheSalt = f.string("cache_salt");
    for (String name :
        List.of(
            "temperature",
            "top_p",
            "min_p",
            "presence_penalty",
            "frequency_penalty",
            "repetition_penalty",
            "length_penalty")) {
      f.number(name);
    }
    f.integer("top_k");
    f.bool("use_beam_search");
    f.bool("skip_special_tokens");
    f.string("user");
    JsonNode so = f.object("stream_options", "StreamOptions");
    if (so != null) {
      Fields s = new Fields(so, f.errors);
      Boolean include = s.bool("include_usage");
      Boolean continuous = s.bool("continuous_usage_stats");
      r.includeUsage = Boolean.TRUE.equals(include);
      r.continuousUsage = r.includeUsage && Boolean.TRUE.equals(continuous);
    }
  }

  /** vLLM's model validators that both request types share. */
  private static void validators(Fields f, GenerationRequest r, JsonNode body) {
    JsonNode so = f.get("stream_options");
    if (so != null && so.isObject() && !so.isEmpty() && !r.stream) {
      f.errors.valueError(
          "Stream options can only be defined when `stream=True`.", "stream_options", body);
    }
    if (r.cacheSalt != null && r.cacheSalt.isEmpty()) {
      f.errors.valueError(
          "Parameter 'cache_salt' must be a non-empty string if provided.", "cache_salt", body);
    }
    JsonNode promptLogprobs = f.get("prompt_logprobs");
    if (promptLogprobs != null && r.stream) {
      f.errors.valueError(
          "`prompt_logprobs` are not available when `stream=True`.", "prompt_logprobs", body);
    }
  }

  /** Checks of vLLM's serving layer and {@code SamplingParams}, after the body validated. */
  private static void serving(GenerationRequest r, int maxNumSeqs, Fields f) {
    if (f.bool("use_beam_search", false)) {
      throw ApiError.badRequest("llmemu does not emulate beam search", "use_beam_search");
    }
    if (f.has("prompt_logprobs")) {
      throw ApiError.badRequest("llmemu does not produce prompt_logprobs", "prompt_logprobs");
    }
    if (r.n < 1) {
      throw ApiError.badRequest("n must be at least 1, got " + r.n + ".", "n");
    }
    if (r.n > maxNumSeqs) {
      throw ApiError.badRequest(
          "n must be at most max_num_seqs (" + maxNumSeqs + "), got " + r.n + ".", "n");
    }
    if (r.stop.size() > MAX_STOP) {
      throw ApiError.badRequest(
          "llmemu accepts at most " + MAX_STOP + " stop strings, got " + r.stop.size() + ".",
          "stop");
    }
    if (r.stopTokenIds.length > MAX_STOP) {
      throw ApiError.badRequest(
          "llmemu accepts at most "
              + MAX_STOP
              + " stop_token_ids, got "
              + r.stopTokenIds.length
              + ".",
          "stop_token_ids");
    }
    long sequences = (long) r.n * Math.max(1, r.prompts.size());
    if (sequences > 8L * maxNumSeqs) {
      throw ApiError.badRequest(
          "llmemu serves at most 8 x max_num_seqs ("
              + 8L * maxNumSeqs
              + ") sequences per request; n x prompts is "
              + sequences
              + ".",
          "n");
    }
    Double temperature = f.number("temperature");
    if (temperature != null && temperature < 0) {
      throw ApiError.badRequest(
          "temperature must be non-negative, got " + temperature + ".", "temperature");
    }
    Double topP = f.number("top_p");
    if (topP != null && !(topP > 0 && topP <= 1)) {
      throw ApiError.badRequest("top_p must be in (0, 1], got " + topP + ".", "top_p");
    }
    if (r.minTokens < 0) {
      throw ApiError.badRequest(
          "min_tokens must be greater than or equal to 0, got " + r.minTokens + ".", "min_tokens");
    }
    if (r.maxTokens != null && r.maxTokens < 1 && !(r.echo && r.maxTokens == 0)) {
      throw ApiError.badRequest(
          "max_tokens must be at least 1, got " + r.maxTokens + ".", "max_tokens");
    }
    if (r.maxTokens != null && r.minTokens > r.maxTokens && r.maxTokens > 0) {
      throw ApiError.badRequest(
          "min_tokens must be less than or equal to max_tokens="
              + r.maxTokens
              + ", got "
              + r.minTokens
              + ".",
          "min_tokens");
    }
    for (int[] p : r.prompts) {
      for (int id : p) {
        if (!Tokenizer.isKnown(id)) {
          throw ApiError.badRequest("Token id " + id + " is out of vocabulary", "prompt");
        }
      }
    }
  }
}
