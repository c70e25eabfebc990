package dev.llmemu.engine.internal.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Request-validation failures worded as FastAPI and pydantic word them in vLLM's 400 responses:
 * {@code "1 validation error:\n {'type': 'int_parsing', 'loc': ('body', 'max_tokens'), 'msg': '…',
 * 'input': 'abc'}"}, with {@code type} "Bad Request".
 */
final class PyErrors {
  /** Inputs are shown as Python reprs, cut to this many characters. */
  private static final int MAX_INPUT_REPR = 200;

  private final List<String> errors = new ArrayList<>();
  private @Nullable String param;

  boolean isEmpty() {
    return errors.isEmpty();
  }

  /** A pydantic error at {@code ('body', loc...)}. */
  void add(String type, List<Object> loc, String msg, @Nullable JsonNode input) {
    StringBuilder b = new StringBuilder("{'type': '").append(type).append("', 'loc': (");
    b.append("'body'");
    for (Object part : loc) {
      b.append(", ");
      if (part instanceof Integer) {
        b.append(part);
      } else {
        b.append(pyString(part.toString()));
      }
    }
    if (loc.isEmpty()) {
      b.append(',');
    }
    b.append("), 'msg': ").append(pyString(msg));
    if (input != null) {
      b.append(", 'input': ").append(repr(input));
    }
    b.append('}');
    errors.add(b.toString());
  }

  /** A {@code VLLMValidationError} raised by a model validator: pydantic's "Value error, …". */
  void valueError(String message, @Nullable String parameter, JsonNode body) {
    add("value_error", List.of(), "Value error, " + message, body);
    if (param == null) {
      param = parameter;
    }
  }

  /** A bare error string, as vLLM's content-type check raises. */
  void raw(String message) {
    errors.add(message);
  }

  ApiError toApiError() {
    int n = errors.size();
    StringBuilder m =
        new StringBuilder()
            .append(n)
            .append(n == 1 ? " validation error:\n" : " validation errors:\n");
    for (String e : errors) {
      m.append("  ").append(e).append('\n');
    }
    return ApiError.validation(m.toString().stripTrailing(), param);
  }

  static ApiError single(String message) {
    PyErrors e = new PyErrors();
    e.raw(message);
    return e.toApiError();
  }

  static String pyString(String s) {
    boolean single = s.indexOf('\'') >= 0 && s.indexOf('"') < 0;
    char q = single ? '"' : '\'';
    StringBuilder b = new StringBuilder(s.length() + 2).append(q);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == q || c == '\\') {
        b.append('\\').append(c);
      } else if (c == '\n') {
        b.append("\\n");
      } else if (c == '\r') {
        b.append("\\r");
      } else if (c == '\t') {
        b.append("\\t");
      } else if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append(q).toString();
  }

  /** Python's repr of a JSON value, cut to {@link #MAX_INPUT_REPR} characters. */
  static String repr(JsonNode node) {
    StringBuilder b = new StringBuilder();
    repr(node, b);
    if (b.length() > MAX_INPUT_REPR) {
      b.setLength(MAX_INPUT_REPR);
      b.append("...");
    }
    return b.toString();
  }

  private static void repr(JsonNode node, StringBuilder b) {
    if (b.length() > MAX_INPUT_REPR) {
      return;
    }
    if (node.isTextual()) {
      b.append(pyString(node.textValue()));
    } else if (node.isBoolean()) {
      b.append(node.booleanValue() ? "True" : "False");
    } else if (node.isNull()) {
      b.append("None");
    } else if (node.isIntegralNumber()) {
      b.append(node.bigIntegerValue());
    } else if (node.isNumber()) {
      double d = node.doubleValue();
      b.append(Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : Double.toString(d));
    } else if (node.isArray()) {
      b.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          b.append(", ");
        }
        repr(node.get(i), b);
      }
      b.append(']');
    } else if (node.isObject()) {
      b.append('{');
      boolean first = true;
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!first) {
          b.append(", ");
        }
        first = false;
        b.append(pyString(e.getKey())).append(": ");
        repr(e.getValue(), b);
      }
      b.append('}');
    } else {
      b.append(node.toString());
    }
  }
}
