package dev.llmemu.engine.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmemu.engine.internal.profile.ProfileReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;

/**
 * Finds hardware profiles: by bundled name ({@code h100-llama-3.1-8b}: the profiles under {@code
 * dev/llmemu/profiles/} on the classpath), by file path, or by URL ({@code https:}, {@code file:},
 * {@code jar:}, or {@code classpath:} for a resource). Files may be llmemu profiles or LLM-Emu
 * packs (versions 2.0 and 2.1), optionally gzip-compressed ({@code .gz}). See docs/profiles.md.
 */
public final class Profiles {
  /** The profile used when none is named. */
  public static final String DEFAULT_PROFILE = "h100-llama-3.1-8b";

  private static final String RESOURCE_DIR = "dev/llmemu/profiles/";
  private static final Pattern URL_LIKE = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");
  private static final Map<String, HardwareProfile> BUNDLED = new ConcurrentHashMap<>();
  private static volatile @Nullable List<String> known;

  private Profiles() {}

  /** Names of the profiles that ship with llmemu, sorted. */
  public static List<String> knownNames() {
    List<String> names = known;
    if (names == null) {
      names = readIndex();
      known = names;
    }
    return names;
  }

  /**
   * Loads a profile by bundled name, file path or URL.
   *
   * @throws IllegalArgumentException naming the known profiles if there is no such profile, or
   *     naming the offending field if the file is not a valid profile
   * @throws UncheckedIOException if the file or URL cannot be read
   */
  public static HardwareProfile load(String nameOrLocation) {
    Objects.requireNonNull(nameOrLocation, "nameOrLocation");
    String s = nameOrLocation.trim();
    if (knownNames().contains(s)) {
      return BUNDLED.computeIfAbsent(s, Profiles::loadBundled);
    }
    if (s.startsWith("classpath:")) {
      String resource = s.substring("classpath:".length()).replaceFirst("^/", "");
      URL url = Profiles.class.getClassLoader().getResource(resource);
      if (url == null) {
        throw new IllegalArgumentException(
            "hardware profile '" + s + "': no such resource on the classpath");
      }
      return read(url, s);
    }
    if (URL_LIKE.matcher(s).matches() && !looksLikeWindowsPath(s)) {
      try {
        return read(URI.create(s).toURL(), s);
      } catch (IllegalArgumentException | java.net.MalformedURLException e) {
        if (e instanceof dev.llmemu.engine.internal.profile.ProfileFormatException pfe) {
          throw pfe;
        }
        throw new IllegalArgumentException(
            "hardware profile '" + s + "' is not a valid URL: " + e.getMessage(), e);
      }
    }
    Path path = null;
    try {
      path = Path.of(s);
    } catch (InvalidPathException e) {
      // fall through to "unknown"
    }
    if (path != null && Files.isRegularFile(path)) {
      return loadPath(path);
    }
    throw new IllegalArgumentException(
        "unknown hardware profile '"
            + s
            + "': it is not a bundled profile name"
            + (path != null ? " and there is no file at " + path.toAbsolutePath() : "")
            + ". Known profiles: "
            + knownNames()
            + ". Pass one of these names, the path of a profile JSON (llmemu format or an LLM-Emu"
            + " pack) or a URL.");
  }

  /** Loads a profile file (llmemu format or LLM-Emu pack; {@code .gz} is decompressed). */
  public static HardwareProfile loadPath(Path path) {
    try (InputStream in = open(Files.newInputStream(path), path.toString())) {
      return ProfileReader.read(in, path.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read hardware profile " + path + ": " + e.getMessage(), e);
    }
  }

  /** Reads a profile from a stream that holds its JSON; {@code source} names it in errors. */
  public static HardwareProfile parse(InputStream json, String source) {
    try {
      return ProfileReader.read(json, source);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read hardware profile " + source + ": " + e.getMessage(), e);
    }
  }

  private static HardwareProfile read(URL url, String source) {
    try (InputStream in = open(url.openStream(), url.getPath())) {
      return ProfileReader.read(in, source);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read hardware profile " + source + ": " + e.getMessage(), e);
    }
  }

  private static InputStream open(InputStream raw, String name) throws IOException {
    return name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
  }

  private static boolean looksLikeWindowsPath(String s) {
    return s.length() > 2 && s.charAt(1) == ':' && (s.charAt(2) == '\\' || s.charAt(2) == '/');
  }

  private static HardwareProfile loadBundled(String name) {
    String resource = RESOURCE_DIR + name + ".json";
    URL url = Profiles.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IllegalStateException("bundled profile " + resource + " is listed but missing");
    }
    return read(url, name);
  }

  private static List<String> readIndex() {
    URL url = Profiles.class.getClassLoader().getResource(RESOURCE_DIR + "index.json");
    if (url == null) {
      return List.of();
    }
    try (InputStream in = url.openStream()) {
      JsonNode root = new ObjectMapper().readTree(in);
      List<String> names = new ArrayList<>();
      for (JsonNode n : root.path("profiles")) {
        names.add(n.path("name").asText(n.asText()));
      }
      names.sort(null);
      return List.copyOf(names);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the bundled profile index: " + e.getMessage(), e);
    }
  }
}
