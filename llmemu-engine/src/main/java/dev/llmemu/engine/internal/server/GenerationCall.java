package dev.llmemu.engine.internal.server;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.llmemu.engine.Engine;
import dev.llmemu.engine.FinishReason;
import dev.llmemu.engine.OutputSink;
import dev.llmemu.engine.RequestOutput;
import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.internal.text.SyntheticVocabulary;
import dev.llmemu.engine.internal.text.Tokenizer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One generation request in flight: its engine requests (one per prompt), the outputs they produce
 * and the HTTP response that carries them.
 *
 * <p>Outputs arrive on the executive thread and are merged into per-choice pending deltas under
 * this object's lock, as vLLM's {@code RequestOutputCollector} merges the outputs a slow consumer
 * has not taken yet; at most one flush task is queued on the channel's event loop at a time. The
 * event loop drains the pending deltas into SSE events only while the channel is writable, so a
 * slow reader holds at most one merged delta per choice (bounded by its output), and the executive
 * thread never blocks.
 */
final class GenerationCall {
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

  /** Per-request faults from {@code X-Llmemu-*} headers. */
  record RequestFaults(int failAfterTokens, int dropAfterTokens) {
    static final RequestFaults NONE = new RequestFaults(-1, -1);
  }

  private final Channel channel;
  private final Engine engine;
  private final VllmMetrics metrics;
  private final ServerSettings settings;
  private final GenerationRequest req;
  private final String responseId;
  private final String modelName;
  private final long created;
  private final RequestFaults faults;
  private final Runnable onComplete;
  private final String[] engineIds;
  private final Choice[] choices;
  private final FlushDispatcher dispatcher;
  private final boolean keepAlive;

  // Guarded by this.
  private boolean flushScheduled;
  private int finishedChoices;
  private int totalOutputTokens;
  private @Nullable IllegalArgumentException rejected;

  // Event-loop only.
  private boolean headersSent;
  private boolean roleSent;
  private boolean completed;
  private boolean waitingForWritability;

  GenerationCall(
      Channel channel,
      Engine engine,
      VllmMetrics metrics,
      ServerSettings settings,
      GenerationRequest req,
      String responseId,
      long engineSeq,
      RequestFaults faults,
      FlushDispatcher dispatcher,
      boolean keepAlive,
      Runnable onComplete) {
    this.channel = channel;
    this.dispatcher = dispatcher;
    this.keepAlive = keepAlive;
    this.engine = engine;
    this.metrics = metrics;
    this.settings = settings;
    this.req = req;
    this.responseId = responseId;
    this.modelName = settings.servedModelName();
    this.created = System.currentTimeMillis() / 1000;
    this.faults = faults;
    this.onComplete = onComplete;
    this.engineIds = new String[req.prompts.size()];
    for (int i = 0; i < engineIds.length; i++) {
      engineIds[i] = responseId + "-" + i + "-" + engineSeq;
    }
    this.choices = new Choice[req.numChoices()];
    for (int p = 0; p < req.prompts.size(); p++) {
      for (int k = 0; k < req.n; k++) {
        choices[p * req.n + k] = new Choice(p * req.n + k, req.prompts.get(p).length);
      }
    }
  }

  /** Submits the engine requests; on the event loop. */
  void start(int maxModelLen) {
    if (req.stream) {
      sendStreamHeaders();
    }
    for (int p = 0; p < req.prompts.size(); p++) {
      int[] prompt = req.prompts.get(p);
      Integer maxTokens = req.maxTokens;
      if (maxTokens != null && maxTokens == 0) {
        maxTokens = 1; // echo without generation: vLLM generates one token and drops it
      }
      int effective =
          Math.min(maxTokens == null ? Integer.MAX_VALUE : maxTokens, maxModelLen - prompt.length);
      RequestSpec spec =
          RequestSpec.builder()
              .requestId(engineIds[p])
              .promptTokenIds(prompt)
              .maxTokens(maxTokens)
              .minTokens(Math.min(req.minTokens, Math.max(effective, 0)))
              .ignoreEos(req.ignoreEos)
              .stop(req.stop)
              .stopTokenIds(req.stopTokenIds)
              .includeStopStrInOutput(req.includeStopStrInOutput)
              .n(req.n)
              .priority(req.priority)
              .seed(req.seed)
              .cacheSalt(req.cacheSalt)
              .build();
      int promptIndex = p;
      metrics.onSubmitted(engineIds[p], req.n);
      engine.submit(
          spec,
          new OutputSink() {
            @Override
            public void accept(RequestOutput output) {
              try {
                onOutput(promptIndex, output);
              } catch (RuntimeException e) {
                // Never let a front-end bug take the executive thread down.
                java.util.logging.Logger.getLogger(GenerationCall.class.getName())
                    .log(java.util.logging.Level.WARNING, "output handling failed", e);
                onReject(new IllegalArgumentException("Internal server error"));
              }
            }

            @Override
            public void reject(IllegalArgumentException error) {
              onReject(error);
            }
          });
    }
  }

  /**
   * Encodes a few streamed and non-streamed responses into a throwaway channel, so that the classes
   * and code paths of the first real response are loaded and warm: otherwise the first stream of a
   * fresh JVM writes its first events tens of milliseconds late, merged into one.
   */
  static void warmUp(Engine engine, VllmMetrics metrics, ServerSettings settings) {
    for (GenerationRequest.Kind kind : GenerationRequest.Kind.values()) {
      for (boolean stream : new boolean[] {true, false}) {
        io.netty.channel.embedded.EmbeddedChannel ch =
            new io.netty.channel.embedded.EmbeddedChannel();
        ch.pipeline().addLast("codec", new io.netty.handler.codec.http.HttpServerCodec());
        GenerationRequest req = new GenerationRequest(kind);
        req.prompts = java.util.List.of(new int[] {1, 2, 3});
        req.promptTexts = java.util.Arrays.asList((String) null);
        req.stream = stream;
        req.includeUsage = true;
        req.maxTokens = 2;
        GenerationCall call =
            new GenerationCall(
                ch,
                engine,
                metrics,
                settings,
                req,
                "warmup",
                0,
                RequestFaults.NONE,
                new FlushDispatcher(),
                true,
                () -> {});
        // The codec needs a request before it encodes a response.
        ch.writeInbound(
            new io.netty.handler.codec.http.DefaultFullHttpRequest(
                HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpMethod.POST, "/"));
        if (stream) {
          call.sendStreamHeaders();
        }
        for (int i = 1; i <= 2; i++) {
          call.onOutput(
              0,
              new RequestOutput(
                  "warmup",
                  "warmup",
                  0,
                  new int[] {279},
                  " the",
                  3,
                  0,
                  i,
                  i == 2 ? FinishReason.LENGTH : null,
                  null,
                  0));
          call.flush();
        }
        ch.finishAndReleaseAll();
      }
    }
  }

  // ---------------------------------------------------------------- executive thread

  private void onOutput(int promptIndex, RequestOutput out) {
    Choice c = choices[promptIndex * req.n + out.index()];
    boolean schedule;
    synchronized (this) {
      if (c.finished) {
        return;
      }
      c.cachedTokens = out.cachedTokens();
      int added = out.newTokenIds().length;
      c.outputTokens = out.outputTokens();
      totalOutputTokens += added;
      c.pendingTokens.addAll(out.newTokenIds());
      c.pendingText.append(out.newText());
      if (!req.stream) {
        c.allTokens.addAll(out.newTokenIds());
        c.text.append(out.newText());
      }
      if (out.finished()) {
        c.finished = true;
        c.finishReason = out.finishReason();
        c.stopReason = out.stopReason();
        finishedChoices++;
      }
      boolean faultDue =
          (faults.failAfterTokens >= 0 && totalOutputTokens >= faults.failAfterTokens)
              || (faults.dropAfterTokens >= 0 && totalOutputTokens >= faults.dropAfterTokens);
      boolean wanted = req.stream || finishedChoices == choices.length || faultDue;
      schedule = wanted && !flushScheduled;
      if (schedule) {
        flushScheduled = true;
      }
    }
    if (schedule) {
      // Outputs are emitted inside an engine step; the dispatcher submits at the step's end.
      dispatcher.schedule(channel.eventLoop(), this);
    }
  }

  private void onReject(IllegalArgumentException error) {
    boolean schedule;
    synchronized (this) {
      rejected = error;
      schedule = !flushScheduled;
      flushScheduled = true;
    }
    if (schedule) {
      channel.eventLoop().execute(this::flush);
    }
  }

  // ---------------------------------------------------------------- event loop

  /** Called when the channel becomes writable again. */
  void writabilityChanged() {
    if (waitingForWritability && channel.isWritable()) {
      waitingForWritability = false;
      flush();
    }
  }

  /** The client went away: abort whatever still runs in the engine. */
  void disconnected() {
    if (completed) {
      return;
    }
    completed = true;
    abortAll();
  }

  private void abortAll() {
    for (String id : engineIds) {
      engine.abort(id);
    }
  }

  void flush() {
    if (completed) {
      synchronized (this) {
        flushScheduled = false;
      }
      return;
    }
    if (req.stream && !channel.isWritable()) {
      synchronized (this) {
        flushScheduled = false;
      }
      waitingForWritability = true;
      return;
    }
    List<Delta> deltas = new ArrayList<>();
    boolean allDone;
    IllegalArgumentException reject;
    int tokensSoFar;
    synchronized (this) {
      flushScheduled = false;
      reject = rejected;
      allDone = finishedChoices == choices.length;
      tokensSoFar = totalOutputTokens;
      for (Choice c : choices) {
        if (c.pendingTokens.size() > 0
            || c.pendingText.length() > 0
            || (c.finished && !c.finishSent)) {
          deltas.add(c.take());
        }
      }
    }
    if (reject != null) {
      failRequest(ApiError.badRequest(reject.getMessage(), null));
      return;
    }
    boolean fail = faults.failAfterTokens >= 0 && tokensSoFar >= faults.failAfterTokens;
    boolean drop = faults.dropAfterTokens >= 0 && tokensSoFar >= faults.dropAfterTokens;
    if (req.stream) {
      ByteBuf buf = channel.alloc().buffer(256 * Math.max(1, deltas.size()));
      buf.writerIndex(CHUNK_HEADER); // room for the chunk-size line, see writeChunk
      buf.readerIndex(CHUNK_HEADER);
      if (!roleSent && !deltas.isEmpty() && req.kind == GenerationRequest.Kind.CHAT) {
        roleSent = true;
        for (int i = 0; i < choices.length; i++) {
          writeChatRole(buf, i);
        }
      }
      for (Delta d : deltas) {
        if (req.kind == GenerationRequest.Kind.CHAT) {
          writeChatChunk(buf, d);
        } else {
          writeCompletionChunk(buf, d);
        }
      }
      if (drop) {
        completed = true;
        abortAll();
        channel.writeAndFlush(new DefaultHttpContent(buf)).addListener(ChannelFutureListener.CLOSE);
        onComplete.run();
        return;
      }
      if (fail) {
        completed = true;
        abortAll();
        Json.error(
            buf.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII)), ApiError.internal());
        buf.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
        buf.writeBytes(DONE);
        channel.write(new DefaultHttpContent(buf));
        endStream();
        onComplete.run();
        return;
      }
      if (allDone) {
        if (req.includeUsage || settings.enableForceIncludeUsage()) {
          writeUsageChunk(buf);
        }
        buf.writeBytes(DONE);
        completed = true;
        channel.write(new DefaultHttpContent(buf));
        endStream();
        onComplete.run();
        return;
      }
      if (buf.isReadable()) {
        writeChunk(buf);
      } else {
        buf.release();
      }
      return;
    }
    // Non-streaming: one body when every choice finished.
    if (drop) {
      completed = true;
      abortAll();
      channel.close();
      onComplete.run();
      return;
    }
    if (fail) {
      completed = true;
      abortAll();
      HttpServer.writeError(channel, ApiError.internal(), keepAlive);
      onComplete.run();
      return;
    }
    if (allDone) {
      completed = true;
      ByteBuf body = channel.alloc().buffer(1024);
      if (req.kind == GenerationRequest.Kind.CHAT) {
        writeChatResponse(body);
      } else {
        writeCompletionResponse(body);
      }
      HttpServer.writeJson(channel, HttpResponseStatus.OK, body, keepAlive);
      onComplete.run();
    }
  }

  private void failRequest(ApiError e) {
    completed = true;
    abortAll();
    if (headersSent) {
      ByteBuf buf = channel.alloc().buffer(256);
      buf.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII));
      Json.error(buf, e);
      buf.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
      buf.writeBytes(DONE);
      channel.write(new DefaultHttpContent(buf));
      endStream();
    } else {
      HttpServer.writeError(channel, e, keepAlive);
    }
    onComplete.run();
  }

  /** Bytes reserved at the start of an SSE buffer for the chunk-size line: 6 hex digits, CRLF. */
  private static final int CHUNK_HEADER = 8;

  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  /**
   * Writes the events in {@code buf} (after its reserved header) as one HTTP chunk, framed here and
   * written below the HTTP codec: one buffer and one gathering write per event, instead of the
   * codec's three. The codec keeps its chunked state; {@link #endStream} goes through it.
   */
  private void writeChunk(ByteBuf buf) {
    int length = buf.readableBytes();
    if (length >= 1 << 24) {
      channel.writeAndFlush(new DefaultHttpContent(buf), channel.voidPromise());
      return;
    }
    for (int i = 5; i >= 0; i--) {
      buf.setByte(i, HEX[(length >>> ((5 - i) * 4)) & 0xf]);
    }
    buf.setByte(6, '\r');
    buf.setByte(7, '\n');
    buf.readerIndex(0);
    buf.writeBytes(CRLF);
    io.netty.channel.ChannelHandlerContext codec = channel.pipeline().context("codec");
    if (codec == null) {
      buf.release();
      return;
    }
    // No promise: a failed write closes the channel, and channelInactive aborts the request.
    codec.writeAndFlush(buf, channel.voidPromise());
  }

  /** Ends the chunked response; closes the connection if the client asked for that. */
  private void endStream() {
    if (keepAlive) {
      channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    } else {
      channel
          .writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void sendStreamHeaders() {
    DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    res.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    if (!keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    channel.writeAndFlush(res);
    headersSent = true;
  }

  // ---------------------------------------------------------------- encoders

  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

  private JsonGenerator begin(ByteBuf buf) {
    buf.writeBytes(DATA);
    return Json.generator(buf);
  }

  private static void end(ByteBuf buf, JsonGenerator g) throws IOException {
    g.close();
    buf.writeBytes(END);
  }

  private void header(JsonGenerator g, String object) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", responseId);
    g.writeStringField("object", object);
    g.writeNumberField("created", created);
    g.writeStringField("model", modelName);
  }

  private int promptTokens(int choiceIndex) {
    return req.prompts.get(choiceIndex / req.n).length;
  }

  private void writeChatRole(ByteBuf buf, int index) {
    try {
      JsonGenerator g = begin(buf);
      header(g, "chat.completion.chunk");
      g.writeArrayFieldStart("choices");
      g.writeStartObject();
      g.writeNumberField("index", index);
      g.writeObjectFieldStart("delta");
      g.writeStringField("role", req.responseRole);
      g.writeStringField("content", "");
      g.writeEndObject();
      g.writeNullField("logprobs");
      g.writeNullField("finish_reason");
      g.writeEndObject();
      g.writeEndArray();
      if (req.continuousUsage) {
        int p = promptTokens(index);
        writeUsage(g, p, 0, false);
      }
      Json.intArrayOrNull(
          g, "prompt_token_ids", req.returnTokenIds ? req.prompts.get(index / req.n) : null);
      g.writeEndObject();
      end(buf, g);
      if (req.echoContent != null && !req.echoContent.isEmpty()) {
        g = begin(buf);
        header(g, "chat.completion.chunk");
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", index);
        g.writeObjectFieldStart("delta");
        g.writeStringField("content", req.echoContent);
        g.writeEndObject();
        g.writeNullField("logprobs");
        g.writeNullField("finish_reason");
        g.writeEndObject();
        g.writeEndArray();
        if (req.continuousUsage) {
          writeUsage(g, promptTokens(index), 0, false);
        }
        g.writeEndObject();
        end(buf, g);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writeChatChunk(ByteBuf buf, Delta d) {
    if (directEncoding && req.logprobs == null && !req.returnTokenIds && !req.continuousUsage) {
      // The common event, written directly: byte for byte what the generator below writes.
      buf.writeBytes(chunkPrefix("chat.completion.chunk"));
      writeInt(buf, d.index);
      buf.writeBytes(CHAT_CONTENT);
      writeJsonString(buf, d.text);
      buf.writeBytes(CHAT_AFTER_CONTENT);
      if (d.finishReason != null) {
        writeAscii(buf, "\"" + d.finishReason.wireName() + "\",\"stop_reason\":");
        writeStopReason(buf, d.stopReason);
      } else {
        buf.writeBytes(NULL);
      }
      buf.writeBytes(CHAT_END);
      return;
    }
    try {
      JsonGenerator g = begin(buf);
      header(g, "chat.completion.chunk");
      g.writeArrayFieldStart("choices");
      g.writeStartObject();
      g.writeNumberField("index", d.index);
      g.writeObjectFieldStart("delta");
      g.writeStringField("content", d.text);
      g.writeEndObject();
      if (req.logprobs != null) {
        writeChatLogprobs(g, d.tokens, d.firstPosition);
      } else {
        g.writeNullField("logprobs");
      }
      if (d.finishReason != null) {
        g.writeStringField("finish_reason", d.finishReason.wireName());
        Json.stopReason(g, d.stopReason);
      } else {
        g.writeNullField("finish_reason");
      }
      Json.intArrayOrNull(g, "token_ids", req.returnTokenIds ? d.tokens : null);
      g.writeEndObject();
      g.writeEndArray();
      if (req.continuousUsage) {
        writeUsage(g, promptTokens(d.index), d.outputTokens, false);
      }
      g.writeEndObject();
      end(buf, g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writeCompletionChunk(ByteBuf buf, Delta d) {
    if (directEncoding
        && req.logprobs == null
        && !req.returnTokenIds
        && !req.continuousUsage
        && !(d.first && req.echo)) {
      // The common event, written directly: byte for byte what the generator below writes.
      buf.writeBytes(chunkPrefix("text_completion"));
      writeInt(buf, d.index);
      buf.writeBytes(COMPLETION_TEXT);
      writeJsonString(buf, d.text);
      buf.writeBytes(COMPLETION_AFTER_TEXT);
      if (d.finishReason != null) {
        writeAscii(buf, "\"" + d.finishReason.wireName() + "\"");
      } else {
        buf.writeBytes(NULL);
      }
      buf.writeBytes(STOP_REASON);
      writeStopReason(buf, d.finishReason != null ? d.stopReason : null);
      buf.writeBytes(COMPLETION_END);
      return;
    }
    try {
      JsonGenerator g = begin(buf);
      header(g, "text_completion");
      g.writeArrayFieldStart("choices");
      g.writeStartObject();
      g.writeNumberField("index", d.index);
      String text = d.text;
      int offsetBase = d.textOffset;
      if (d.first && req.echo) {
        String prompt = promptText(d.index / req.n);
        text = prompt + text;
        offsetBase = prompt.length(); // the generated text's offsets come after the echo
      }
      g.writeStringField("text", text);
      if (req.logprobs != null) {
        writeCompletionLogprobs(g, d.tokens, d.firstPosition, offsetBase);
      } else {
        g.writeNullField("logprobs");
      }
      Json.stringOrNull(
          g, "finish_reason", d.finishReason != null ? d.finishReason.wireName() : null);
      Json.stopReason(g, d.finishReason != null ? d.stopReason : null);
      Json.intArrayOrNull(
          g,
          "prompt_token_ids",
          req.returnTokenIds && d.first ? req.prompts.get(d.index / req.n) : null);
      Json.intArrayOrNull(g, "token_ids", req.returnTokenIds ? d.tokens : null);
      g.writeEndObject();
      g.writeEndArray();
      if (req.continuousUsage) {
        writeUsage(g, promptTokens(d.index), d.outputTokens, true);
      } else {
        g.writeNullField("usage");
      }
      g.writeEndObject();
      end(buf, g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writeUsageChunk(ByteBuf buf) {
    try {
      JsonGenerator g = begin(buf);
      header(
          g, req.kind == GenerationRequest.Kind.CHAT ? "chat.completion.chunk" : "text_completion");
      g.writeArrayFieldStart("choices");
      g.writeEndArray();
      writeFinalUsage(g, false);
      g.writeEndObject();
      end(buf, g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The request's usage: prompt tokens once per prompt, completion tokens over all choices. */
  private void writeFinalUsage(JsonGenerator g, boolean nullDetails) throws IOException {
    int prompt = req.totalPromptTokens();
    int completion = 0;
    int cached = 0;
    for (Choice c : choices) {
      completion += c.outputTokens;
      if (c.index % req.n == 0) {
        cached += c.cachedTokens;
      }
    }
    g.writeObjectFieldStart("usage");
    g.writeNumberField("prompt_tokens", prompt);
    g.writeNumberField("total_tokens", prompt + completion);
    g.writeNumberField("completion_tokens", completion);
    if (settings.enablePromptTokensDetails() && cached > 0) {
      g.writeObjectFieldStart("prompt_tokens_details");
      g.writeNumberField("cached_tokens", cached);
      g.writeEndObject();
    } else if (nullDetails) {
      g.writeNullField("prompt_tokens_details");
    }
    g.writeEndObject();
  }

  private static void writeUsage(JsonGenerator g, int prompt, int completion, boolean nullDetails)
      throws IOException {
    g.writeObjectFieldStart("usage");
    g.writeNumberField("prompt_tokens", prompt);
    g.writeNumberField("total_tokens", prompt + completion);
    g.writeNumberField("completion_tokens", completion);
    if (nullDetails) {
      g.writeNullField("prompt_tokens_details");
    }
    g.writeEndObject();
  }

  private String promptText(int promptIndex) {
    String t = req.promptTexts.get(promptIndex);
    return t != null ? t : Tokenizer.get().decode(req.prompts.get(promptIndex));
  }

  private void writeCompletionResponse(ByteBuf body) {
    try (JsonGenerator g = Json.generator(body)) {
      header(g, "text_completion");
      g.writeArrayFieldStart("choices");
      for (Choice c : choices) {
        g.writeStartObject();
        g.writeNumberField("index", c.index);
        String prompt = req.echo ? promptText(c.index / req.n) : "";
        boolean echoOnly = req.echo && req.maxTokens != null && req.maxTokens == 0;
        g.writeStringField("text", echoOnly ? prompt : prompt + c.text);
        if (req.logprobs != null) {
          writeCompletionLogprobs(
              g, echoOnly ? new int[0] : c.allTokens.toArray(), 0, prompt.length());
        } else {
          g.writeNullField("logprobs");
        }
        g.writeStringField("finish_reason", finishName(c));
        Json.stopReason(g, c.stopReason);
        Json.intArrayOrNull(g, "token_ids", req.returnTokenIds ? c.allTokens.toArray() : null);
        g.writeNullField("prompt_logprobs");
        Json.intArrayOrNull(
            g, "prompt_token_ids", req.returnTokenIds ? req.prompts.get(c.index / req.n) : null);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeNullField("service_tier");
      g.writeNullField("system_fingerprint");
      writeFinalUsage(g, true);
      g.writeNullField("kv_transfer_params");
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writeChatResponse(ByteBuf body) {
    try (JsonGenerator g = Json.generator(body)) {
      header(g, "chat.completion");
      g.writeArrayFieldStart("choices");
      for (Choice c : choices) {
        g.writeStartObject();
        g.writeNumberField("index", c.index);
        g.writeObjectFieldStart("message");
        g.writeStringField("role", req.responseRole);
        String content = (req.echoContent != null ? req.echoContent : "") + c.text;
        g.writeStringField("content", content);
        g.writeNullField("refusal");
        g.writeNullField("annotations");
        g.writeNullField("audio");
        g.writeNullField("function_call");
        g.writeArrayFieldStart("tool_calls");
        g.writeEndArray();
        g.writeNullField("reasoning");
        g.writeEndObject();
        if (req.logprobs != null) {
          writeChatLogprobs(g, c.allTokens.toArray(), 0);
        } else {
          g.writeNullField("logprobs");
        }
        g.writeStringField("finish_reason", finishName(c));
        Json.stopReason(g, c.stopReason);
        Json.intArrayOrNull(g, "token_ids", req.returnTokenIds ? c.allTokens.toArray() : null);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeNullField("service_tier");
      g.writeNullField("system_fingerprint");
      writeFinalUsage(g, true);
      g.writeNullField("prompt_logprobs");
      Json.intArrayOrNull(g, "prompt_token_ids", req.returnTokenIds ? req.prompts.get(0) : null);
      g.writeNullField("kv_transfer_params");
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String finishName(Choice c) {
    return c.finishReason == null ? "stop" : c.finishReason.wireName();
  }

  private static String tokenString(int id) {
    if (id == SyntheticVocabulary.EOS_TOKEN_ID) {
      return "<|endoftext|>";
    }
    String s = SyntheticVocabulary.get().textOf(id);
    if (s != null) {
      return s;
    }
    String t = Tokenizer.get().tokenText(id);
    return t == null ? "" : t;
  }

  private void writeChatLogprobs(JsonGenerator g, int[] tokens, int firstPosition)
      throws IOException {
    int k = req.logprobs == null ? 0 : req.logprobs;
    g.writeObjectFieldStart("logprobs");
    g.writeArrayFieldStart("content");
    for (int i = 0; i < tokens.length; i++) {
      int id = tokens[i];
      int pos = firstPosition + i;
      g.writeStartObject();
      String s = tokenString(id);
      g.writeStringField("token", s);
      g.writeNumberField("logprob", Logprobs.sampled(id, pos));
      writeBytes(g, s);
      g.writeArrayFieldStart("top_logprobs");
      for (Logprobs.Candidate cand : Logprobs.top(id, pos, k)) {
        String cs = tokenString(cand.tokenId());
        g.writeStartObject();
        g.writeStringField("token", cs);
        g.writeNumberField("logprob", cand.logprob());
        writeBytes(g, cs);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void writeBytes(JsonGenerator g, String s) throws IOException {
    g.writeArrayFieldStart("bytes");
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      g.writeNumber(b & 0xff);
    }
    g.writeEndArray();
  }

  private void writeCompletionLogprobs(
      JsonGenerator g, int[] tokens, int firstPosition, int textOffset) throws IOException {
    int k = req.logprobs == null ? 0 : req.logprobs;
    String[] strings = new String[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      strings[i] = tokenString(tokens[i]);
    }
    g.writeObjectFieldStart("logprobs");
    g.writeArrayFieldStart("text_offset");
    int offset = textOffset;
    for (String s : strings) {
      g.writeNumber(offset);
      offset += s.length();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("token_logprobs");
    for (int i = 0; i < tokens.length; i++) {
      g.writeNumber(Logprobs.sampled(tokens[i], firstPosition + i));
    }
    g.writeEndArray();
    g.writeArrayFieldStart("tokens");
    for (String s : strings) {
      g.writeString(s);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("top_logprobs");
    for (int i = 0; i < tokens.length; i++) {
      g.writeStartObject();
      boolean sampledListed = false;
      List<String> seen = new ArrayList<>();
      for (Logprobs.Candidate cand : Logprobs.top(tokens[i], firstPosition + i, k)) {
        String cs = tokenString(cand.tokenId());
        if (seen.contains(cs)) {
          continue;
        }
        seen.add(cs);
        sampledListed |= cand.tokenId() == tokens[i];
        g.writeNumberField(cs, cand.logprob());
      }
      if (!sampledListed && !seen.contains(strings[i])) {
        g.writeNumberField(strings[i], Logprobs.sampled(tokens[i], firstPosition + i));
      }
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  /** Test hook: the SSE event for one delta, as written to the wire. */
  String encodeForTest(
      int index, String text, @Nullable FinishReason finish, @Nullable Object stopReason) {
    Delta d = new Delta();
    d.index = index;
    d.text = text;
    d.finishReason = finish;
    d.stopReason = stopReason;
    ByteBuf buf = io.netty.buffer.Unpooled.buffer();
    if (req.kind == GenerationRequest.Kind.CHAT) {
      writeChatChunk(buf, d);
    } else {
      writeCompletionChunk(buf, d);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- direct encoding

  private static final byte[] NULL = ascii("null");
  private static final byte[] CHAT_CONTENT = ascii(",\"delta\":{\"content\":");
  private static final byte[] CHAT_AFTER_CONTENT = ascii("},\"logprobs\":null,\"finish_reason\":");
  private static final byte[] CHAT_END = ascii(",\"token_ids\":null}]}\n\n");
  private static final byte[] COMPLETION_TEXT = ascii(",\"text\":");
  private static final byte[] COMPLETION_AFTER_TEXT =
      ascii(",\"logprobs\":null,\"finish_reason\":");
  private static final byte[] STOP_REASON = ascii(",\"stop_reason\":");
  private static final byte[] COMPLETION_END =
      ascii(",\"prompt_token_ids\":null,\"token_ids\":null}],\"usage\":null}\n\n");

  /** Whether common events skip the JSON generator (tests compare both ways). */
  boolean directEncoding = true;

  private byte @Nullable [] chatPrefix;
  private byte @Nullable [] completionPrefix;

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** {@code data: {"id":…,"object":…,"created":…,"model":…,"choices":[{"index":}, cached. */
  private byte[] chunkPrefix(String object) {
    boolean chat = object.equals("chat.completion.chunk");
    byte[] cached = chat ? chatPrefix : completionPrefix;
    if (cached != null) {
      return cached;
    }
    ByteBuf b = io.netty.buffer.Unpooled.buffer(128);
    b.writeBytes(DATA);
    writeAscii(b, "{\"id\":");
    writeJsonString(b, responseId);
    writeAscii(b, ",\"object\":\"" + object + "\",\"created\":" + created + ",\"model\":");
    writeJsonString(b, modelName);
    writeAscii(b, ",\"choices\":[{\"index\":");
    byte[] out = new byte[b.readableBytes()];
    b.readBytes(out);
    if (chat) {
      chatPrefix = out;
    } else {
      completionPrefix = out;
    }
    return out;
  }

  private static void writeAscii(ByteBuf buf, String s) {
    buf.writeCharSequence(s, StandardCharsets.US_ASCII);
  }

  private static void writeInt(ByteBuf buf, int v) {
    writeAscii(buf, Integer.toString(v));
  }

  private static void writeStopReason(ByteBuf buf, @Nullable Object stop) {
    if (stop == null) {
      buf.writeBytes(NULL);
    } else if (stop instanceof Integer) {
      writeAscii(buf, stop.toString());
    } else {
      writeJsonString(buf, stop.toString());
    }
  }

  /** A JSON string as Jackson writes it: quotes, backslash and control characters escaped. */
  static void writeJsonString(ByteBuf buf, String s) {
    buf.writeByte('"');
    int from = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      if (i > from) {
        io.netty.buffer.ByteBufUtil.writeUtf8(buf, s, from, i);
      }
      from = i + 1;
      switch (c) {
        case '"' -> writeAscii(buf, "\\\"");
        case '\\' -> writeAscii(buf, "\\\\");
        case '\n' -> writeAscii(buf, "\\n");
        case '\r' -> writeAscii(buf, "\\r");
        case '\t' -> writeAscii(buf, "\\t");
        case '\b' -> writeAscii(buf, "\\b");
        case '\f' -> writeAscii(buf, "\\f");
        default -> writeAscii(buf, String.format("\\u%04X", (int) c));
      }
    }
    if (from < s.length()) {
      io.netty.buffer.ByteBufUtil.writeUtf8(buf, s, from, s.length());
    }
    buf.writeByte('"');
  }

  // ---------------------------------------------------------------- state

  /** A merged delta taken from a choice for one SSE event. */
  private static final class Delta {
    int index;
    String text = "";
    int[] tokens = new int[0];
    int firstPosition;
    int textOffset;
    int outputTokens;
    boolean first;
    @Nullable FinishReason finishReason;
    @Nullable Object stopReason;
  }

  private static final class Choice {
    final int index;
    final int promptTokens;
    final ChatTemplate.IntArray pendingTokens = new ChatTemplate.IntArray(4);
    final StringBuilder pendingText = new StringBuilder();
    final ChatTemplate.IntArray allTokens = new ChatTemplate.IntArray(16);
    final StringBuilder text = new StringBuilder();
    int outputTokens;
    int cachedTokens;
    int positionsTaken;
    int charsTaken;
    boolean firstTaken;
    boolean finished;
    boolean finishSent;
    @Nullable FinishReason finishReason;
    @Nullable Object stopReason;

    Choice(int index, int promptTokens) {
      this.index = index;
      this.promptTokens = promptTokens;
    }

    /** Takes the pending delta; caller holds the call's lock. */
    Delta take() {
      Delta d = new Delta();
      d.index = index;
      d.text = pendingText.toString();
      d.tokens = pendingTokens.toArray();
      d.firstPosition = positionsTaken;
      d.textOffset = charsTaken;
      d.outputTokens = outputTokens;
      d.first = !firstTaken;
      firstTaken = true;
      positionsTaken += d.tokens.length;
      charsTaken += d.text.length();
      pendingText.setLength(0);
      pendingTokens.clear();
      if (finished) {
        finishSent = true;
        d.finishReason = finishReason;
        d.stopReason = stopReason;
      }
      return d;
    }
  }
}
