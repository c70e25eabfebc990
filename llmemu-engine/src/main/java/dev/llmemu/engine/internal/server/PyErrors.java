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
  private final List<Integer> order = new ArrayList<>();
  private final List<String> fieldOrder;
  private @Nullable String valueError;
  private @Nullable String param;

  /**
   * Fails with pydantic's error if the body is not a JSON object (the first check of every request
   * model).
   */
  void requireObject(JsonNode body) {
    if (!body.isObject()) {
      add(
          "model_attributes_type",
          List.of(),
          "Input should be a valid dictionary or object to extract fields from",
          body);
      throw toApiError();
    }
  }

  PyErrors() {
    this(List.of());
  }

  /** Errors reported in the order of the model's field declarations, as pydantic reports them. */
  PyErrors(List<String> fieldOrder) {
    this.fieldOrder = fieldOrder;
  }

  boolean isEmpty() {
    return errors.isEmpty() && valueError == null;
  }

  private void addEntry(String text, @Nullable Object field) {
    int i = field == null ? -1 : fieldOrder.indexOf(field.toString());
    errors.add(text);
    order.add(i < 0 ? Integer.MAX_VALUE : i);
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
    addEntry(b.toString(), loc.isEmpty() ? null : loc.get(0));
  }

  /**
   * A {@code VLLMValidationError} raised by one of vLLM's {@code mode="before"} model validators:
   * pydantic stops at the first one, so it is reported alone, with its parameter as {@code param}.
   */
  void valueError(String message, @Nullable String parameter, JsonNode body) {
    if (valueError != null) {
      return;
    }
    valueError =
        "{'type': 'value_error', 'loc': ('body',), 'msg': "
            + pyString("Value error, " + message)
            + ", 'input': "
            + repr(body)
            + "}";
    param = parameter;
  }

  /** A bare error string, as vLLM's content-type check raises. */
  void raw(String message) {
    addEntry(message, null);
  }

  ApiError toApiError() {
    List<String> sorted = new ArrayList<>();
    if (valueError != null) {
      sorted.add(valueError);
    } else {
      Integer[] idx = new Integer[errors.size()];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = i;
      }
      java.util.Arrays.sort(idx, java.util.Comparator.comparingInt(i -> order.get(i)));
      for (Integer i : idx) {
        sorted.add(errors.get(i));
      }
    }
    int n = sorted.size();
    StringBuilder m =
        new StringBuilder()
            .append(n)
            .append(n == 1 ? " validation error:\n" : " validation errors:\n");
    for (String e : sorted) {
      m.append("  ").append(e).append('\n');
    }
    return ApiError.validation(m.toString().stripTrailing(), valueError != null ? param : null);
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
