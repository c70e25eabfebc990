package dev.llmemu.engine.internal.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Reads typed fields of a JSON request body with pydantic's lax coercions ({@code "5"} and {@code
 * 5.0} are the integer 5, {@code "true"} is a boolean), collecting pydantic-style errors instead of
 * throwing. Unknown fields are ignored, as vLLM ignores them ({@code extra="allow"}).
 */
final class Fields {
  private static final BigInteger INT_MIN = BigInteger.valueOf(Integer.MIN_VALUE);
  private static final BigInteger INT_MAX = BigInteger.valueOf(Integer.MAX_VALUE);
  static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);
  private static final BigInteger HUGE = BigInteger.TEN.pow(30);

  final JsonNode body;
  final PyErrors errors;

  Fields(JsonNode body, PyErrors errors) {
    this.body = body;
    this.errors = errors;
  }

  /** The field's node, or null when absent or JSON null. */
  @Nullable JsonNode get(String name) {
    JsonNode n = body.get(name);
    return n == null || n.isNull() ? null : n;
  }

  boolean has(String name) {
    return get(name) != null;
  }

  @Nullable BigInteger bigInt(String name) {
    JsonNode n = get(name);
    return n == null ? null : toBigInt(n, List.of(name));
  }

  /**
   * An integer field as an int; values beyond the int range saturate (vLLM's Python ints are
   * unbounded, and every check that follows compares them with limits far below 2^31).
   */
  @Nullable Integer integer(String name) {
    BigInteger v = bigInt(name);
    return v == null ? null : saturate(v);
  }

  int integer(String name, int dflt) {
    Integer v = integer(name);
    return v == null ? dflt : v;
  }

  static int saturate(BigInteger v) {
    if (v.compareTo(INT_MAX) > 0) {
      return Integer.MAX_VALUE;
    }
    if (v.compareTo(INT_MIN) < 0) {
      return Integer.MIN_VALUE;
    }
    return v.intValue();
  }

  @Nullable BigInteger toBigInt(JsonNode n, List<Object> loc) {
    if (n.isIntegralNumber()) {
      return n.bigIntegerValue();
    }
    if (n.isBoolean()) {
      return n.booleanValue() ? BigInteger.ONE : BigInteger.ZERO;
    }
    if (n.isFloatingPointNumber()) {
      if (n.isDouble() && (Double.isInfinite(n.doubleValue()) || Double.isNaN(n.doubleValue()))) {
        errors.add("finite_number", loc, "Input should be a finite number", n);
        return null;
      }
      BigDecimal d = n.decimalValue();
      if (d.signum() != 0 && d.precision() - d.scale() > 30) {
        // 1e999999999 is an integer too, but expanding it would take the server down: every
        // check that follows only needs to know that it is huge.
        return d.signum() > 0 ? HUGE : HUGE.negate();
      }
      if (d.stripTrailingZeros().scale() <= 0) {
        return d.toBigIntegerExact();
      }
      errors.add(
          "int_from_float",
          loc,
          "Input should be a valid integer, got a number with a fractional part",
          n);
      return null;
    }
    if (n.isTextual()) {
      try {
        String s = n.textValue().strip().replace("_", "");
        if (s.length() > 4300) {
          throw new NumberFormatException();
        }
        return new BigInteger(s);
      } catch (NumberFormatException e) {
        errors.add(
            "int_parsing",
            loc,
            "Input should be a valid integer, unable to parse string as an integer",
            n);
        return null;
      }
    }
    errors.add("int_type", loc, "Input should be a valid integer", n);
    return null;
  }

  @Nullable Double number(String name) {
    JsonNode n = get(name);
    if (n == null) {
      return null;
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    if (n.isBoolean()) {
      return n.booleanValue() ? 1.0 : 0.0;
    }
    if (n.isTextual()) {
      try {
        return Double.parseDouble(n.textValue().strip());
      } catch (NumberFormatException e) {
        errors.add(
            "float_parsing",
            List.of(name),
            "Input should be a valid number, unable to parse string as a number",
            n);
        return null;
      }
    }
    errors.add("float_type", List.of(name), "Input should be a valid number", n);
    return null;
  }

  @Nullable Boolean bool(String name) {
    JsonNode n = get(name);
    return n == null ? null : toBool(n, List.of(name));
  }

  boolean bool(String name, boolean dflt) {
    Boolean v = bool(name);
    return v == null ? dflt : v;
  }

  @Nullable Boolean toBool(JsonNode n, List<Object> loc) {
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isIntegralNumber()
        && (n.bigIntegerValue().signum() == 0 || n.bigIntegerValue().equals(BigInteger.ONE))) {
      return n.intValue() == 1;
    }
    if (n.isFloatingPointNumber() && (n.doubleValue() == 0.0 || n.doubleValue() == 1.0)) {
      return n.doubleValue() == 1.0;
    }
    if (n.isTextual()) {
      switch (n.textValue().strip().toLowerCase(Locale.ROOT)) {
        case "0", "off", "f", "false", "n", "no":
          return false;
        case "1", "on", "t", "true", "y", "yes":
          return true;
        default:
          errors.add(
              "bool_parsing", loc, "Input should be a valid boolean, unable to interpret input", n);
          return null;
      }
    }
    errors.add("bool_type", loc, "Input should be a valid boolean", n);
    return null;
  }

  @Nullable String string(String name) {
    JsonNode n = get(name);
    if (n == null) {
      return null;
    }
    if (!n.isTextual()) {
      errors.add("string_type", List.of(name), "Input should be a valid string", n);
      return null;
    }
    return n.textValue();
  }

  /** A {@code list[int]} field (each ≥ {@code min} when min is not null). */
  int @Nullable [] intList(String name, @Nullable Integer min) {
    JsonNode n = get(name);
    if (n == null) {
      return null;
    }
    return intList(n, List.of(name), min);
  }

  int @Nullable [] intList(JsonNode n, List<Object> loc, @Nullable Integer min) {
    if (!n.isArray()) {
      errors.add("list_type", loc, "Input should be a valid list", n);
      return null;
    }
    int[] out = new int[n.size()];
    boolean ok = true;
    for (int i = 0; i < n.size(); i++) {
      List<Object> at = append(loc, i);
      BigInteger v = toBigInt(n.get(i), at);
      if (v == null) {
        ok = false;
        continue;
      }
      if (min != null && v.compareTo(BigInteger.valueOf(min)) < 0) {
        errors.add(
            "greater_than_equal", at, "Input should be greater than or equal to " + min, n.get(i));
        ok = false;
        continue;
      }
      out[i] = saturate(v);
    }
    return ok ? out : null;
  }

  /** vLLM's {@code stop: str | list[str] | None}. */
  List<String> stopList(String name) {
    JsonNode n = get(name);
    if (n == null) {
      return List.of();
    }
    if (n.isTextual()) {
      return List.of(n.textValue());
    }
    if (n.isArray()) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < n.size(); i++) {
        JsonNode s = n.get(i);
        if (!s.isTextual()) {
          errors.add(
              "string_type", List.of(name, "list[str]", i), "Input should be a valid string", s);
          return List.of();
        }
        out.add(s.textValue());
      }
      return out;
    }
    errors.add("string_type", List.of(name, "str"), "Input should be a valid string", n);
    errors.add("list_type", List.of(name, "list[str]"), "Input should be a valid list", n);
    return List.of();
  }

  /** An object-typed field (a nested model): null when absent; an error when not an object. */
  @Nullable JsonNode object(String name, String modelName) {
    JsonNode n = get(name);
    if (n == null) {
      return null;
    }
    if (!n.isObject()) {
      errors.add(
          "model_type",
          List.of(name),
          "Input should be a valid dictionary or instance of " + modelName,
          n);
      return null;
    }
    return n;
  }

  static List<Object> append(List<Object> loc, Object part) {
    List<Object> out = new ArrayList<>(loc.size() + 1);
    out.addAll(loc);
    out.add(part);
    return out;
  }
}
