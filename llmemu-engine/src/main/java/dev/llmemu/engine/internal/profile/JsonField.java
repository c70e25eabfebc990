package dev.llmemu.engine.internal.profile;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A node of a profile document together with its path, so that every validation error can name the
 * field it is about and say how to fix it.
 */
final class JsonField {
  private final String source;
  private final String path;
  private final @Nullable JsonNode node;

  private JsonField(String source, String path, @Nullable JsonNode node) {
    this.source = source;
    this.path = path;
    this.node = node;
  }

  static JsonField root(String source, JsonNode node) {
    return new JsonField(source, "", node);
  }

  String path() {
    return path.isEmpty() ? "(root)" : path;
  }

  String source() {
    return source;
  }

  boolean present() {
    return node != null && !node.isNull() && !node.isMissingNode();
  }

  JsonNode node() {
    if (!present()) {
      throw missing("");
    }
    return node;
  }

  ProfileFormatException error(String problem, String fix) {
    return new ProfileFormatException(source, path(), problem, fix);
  }

  private ProfileFormatException missing(String fix) {
    return error("is missing", fix.isEmpty() ? "Add it (see docs/profiles.md)" : fix);
  }

  JsonField get(String name) {
    JsonNode n = present() ? node.get(name) : null;
    return new JsonField(source, path.isEmpty() ? name : path + "." + name, n);
  }

  JsonField at(int index) {
    JsonNode n = present() && node.isArray() ? node.get(index) : null;
    return new JsonField(source, path + "[" + index + "]", n);
  }

  JsonField requireObject() {
    if (!present()) {
      throw missing("");
    }
    if (!node.isObject()) {
      throw error("must be a JSON object, got " + kind(node), "");
    }
    return this;
  }

  JsonField requireArray() {
    if (!present()) {
      throw missing("");
    }
    if (!node.isArray()) {
      throw error("must be a JSON array, got " + kind(node), "");
    }
    return this;
  }

  int size() {
    return present() && node.isArray() ? node.size() : 0;
  }

  List<JsonField> elements() {
    requireArray();
    List<JsonField> out = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      out.add(at(i));
    }
    return out;
  }

  List<String> fieldNames() {
    requireObject();
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }

  String string() {
    if (!present()) {
      throw missing("");
    }
    if (!node.isTextual() || node.asText().isBlank()) {
      throw error("must be a non-empty string, got " + kind(node), "");
    }
    return node.asText();
  }

  String string(String fallback) {
    return present() ? string() : fallback;
  }

  boolean bool() {
    if (!present()) {
      throw missing("");
    }
    if (!node.isBoolean()) {
      throw error("must be true or false, got " + kind(node), "");
    }
    return node.asBoolean();
  }

  boolean bool(boolean fallback) {
    return present() ? bool() : fallback;
  }

  long integer(long min, long max) {
    if (!present()) {
      throw missing("");
    }
    if (!node.isIntegralNumber()
        && !(node.isNumber() && node.asDouble() == Math.rint(node.asDouble()))) {
      throw error("must be an integer, got " + kind(node), "Write a whole number such as 16");
    }
    long v = node.asLong();
    if (v < min || v > max) {
      throw error(
          "must be between " + min + " and " + max + ", got " + v, "Use a value in that range");
    }
    return v;
  }

  int integer(int min, int max) {
    return (int) integer((long) min, (long) max);
  }

  int integer(int min, int max, int fallback) {
    return present() ? integer(min, max) : fallback;
  }

  double number(double min, double max) {
    if (!present()) {
      throw missing("");
    }
    if (!node.isNumber()) {
      throw error("must be a number, got " + kind(node), "");
    }
    double v = node.asDouble();
    if (!(v >= min && v <= max) || Double.isNaN(v)) {
      throw error(
          "must be between " + min + " and " + max + ", got " + v, "Use a value in that range");
    }
    return v;
  }

  double number(double min, double max, double fallback) {
    return present() ? number(min, max) : fallback;
  }

  /** A non-empty array of finite numbers, each at least {@code min}. */
  double[] numbers(double min) {
    requireArray();
    if (node.size() == 0) {
      throw error("must not be empty", "Give at least one value");
    }
    double[] out = new double[node.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode e = node.get(i);
      if (!e.isNumber() || !Double.isFinite(e.asDouble())) {
        throw at(i).error("must be a finite number, got " + kind(e), "");
      }
      out[i] = e.asDouble();
      if (out[i] < min) {
        throw at(i).error("must be at least " + min + ", got " + out[i], "");
      }
    }
    return out;
  }

  /** A non-empty array of strictly increasing numbers, each at least {@code min}. */
  double[] increasing(double min) {
    double[] v = numbers(min);
    for (int i = 1; i < v.length; i++) {
      if (!(v[i] > v[i - 1])) {
        throw at(i)
            .error(
                "must be greater than the previous grid value " + v[i - 1] + ", got " + v[i],
                "Grid values must be strictly increasing");
      }
    }
    return v;
  }

  /** A non-empty array of integers within [min, max]. */
  int[] ints(int min, int max) {
    double[] v = numbers(min);
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      if (v[i] != Math.rint(v[i]) || v[i] > max) {
        throw at(i)
            .error("must be an integer between " + min + " and " + max + ", got " + v[i], "");
      }
      out[i] = (int) v[i];
    }
    return out;
  }

  /**
   * Checks that this array has exactly {@code expected} elements, naming the field it must match.
   */
  void requireSize(int expected, String matching) {
    requireArray();
    if (node.size() != expected) {
      throw error(
          "must have "
              + expected
              + " elements (one per entry of '"
              + matching
              + "'), got "
              + node.size(),
          "Regenerate the profile or make both arrays the same length");
    }
  }

  private static String kind(JsonNode n) {
    if (n.isTextual()) {
      return "the string \"" + abbreviate(n.asText()) + "\"";
    }
    if (n.isNumber()) {
      return "the number " + n.asText();
    }
    if (n.isBoolean()) {
      return n.asText();
    }
    if (n.isArray()) {
      return "an array";
    }
    if (n.isObject()) {
      return "an object";
    }
    return "null";
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
