package dev.llmemu.engine.internal.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.jspecify.annotations.Nullable;

/**
 * JSON in and out. Requests are parsed to trees under tight limits (hostile bodies must fail fast
 * with a 400, never exhaust the stack or the heap); responses are written field by field with a
 * streaming generator so that keys come out in vLLM's order, compact, as pydantic writes them.
 */
public final class Json {
  /** Deeper bodies are refused: no OpenAI request nests anywhere near this. */
  static final int MAX_NESTING_DEPTH = 64;

  static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_NESTING_DEPTH)
                  .maxNumberLength(400)
                  .maxStringLength(64 * 1024 * 1024)
                  .build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          // Characters outside the BMP (emoji) as raw UTF-8, as pydantic writes them, not as
          // escaped surrogate pairs.
          .enable(
              com.fasterxml.jackson.core.json.JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
          .build();

  static final ObjectMapper MAPPER =
      JsonMapper.builder(FACTORY)
          .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private Json() {}

  /** Parses a request body; throws Jackson's exception on malformed input. */
  static JsonNode parse(InputStream body) throws IOException {
    JsonNode node = MAPPER.readTree(body);
    if (node == null || node.isMissingNode()) {
      throw new com.fasterxml.jackson.core.JsonParseException(null, "Expecting value");
    }
    return node;
  }

  static JsonGenerator generator(ByteBuf out) {
    try {
      return FACTORY.createGenerator((java.io.OutputStream) new ByteBufOutputStream(out));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a nullable string field. */
  static void stringOrNull(JsonGenerator g, String name, @Nullable String value)
      throws IOException {
    if (value == null) {
      g.writeNullField(name);
    } else {
      g.writeStringField(name, value);
    }
  }

  /** Writes {@code stop_reason}: a string, an int token id, or null. */
  static void stopReason(JsonGenerator g, @Nullable Object value) throws IOException {
    if (value == null) {
      g.writeNullField("stop_reason");
    } else if (value instanceof Integer) {
      g.writeNumberField("stop_reason", (Integer) value);
    } else {
      g.writeStringField("stop_reason", value.toString());
    }
  }

  static void intArray(JsonGenerator g, String name, int[] values) throws IOException {
    g.writeFieldName(name);
    g.writeArray(values, 0, values.length);
  }

  static void intArrayOrNull(JsonGenerator g, String name, int @Nullable [] values)
      throws IOException {
    if (values == null) {
      g.writeNullField(name);
    } else {
      intArray(g, name, values);
    }
  }

  /** vLLM's error body. */
  static void error(ByteBuf out, ApiError e) {
    try (JsonGenerator g = generator(out)) {
      g.writeStartObject();
      g.writeObjectFieldStart("error");
      g.writeStringField("message", e.getMessage());
      g.writeStringField("type", e.type());
      stringOrNull(g, "param", e.param());
      g.writeNumberField("code", e.status());
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }
}
