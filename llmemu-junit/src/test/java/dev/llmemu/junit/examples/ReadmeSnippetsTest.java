package dev.llmemu.junit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every code block in the README and docs/junit.md that follows a {@code <!-- snippet: FILE#TAG
 * -->} marker is the region of FILE between {@code // tag::TAG[]} and {@code // end::TAG[]},
 * de-indented: documentation examples are compiling, passing tests.
 */
class ReadmeSnippetsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern MARKER = Pattern.compile("<!-- snippet: (\\S+)#(\\S+) -->");

  record Snippet(String file, String tag, String documented) {}

  @ParameterizedTest
  @ValueSource(strings = {"README.md", "docs/junit.md"})
  void documentedSnippetsAreTheTaggedRegionsOfTests(String document) throws IOException {
    List<Snippet> snippets = snippets(ROOT.resolve(document));

    assertThat(snippets).isNotEmpty();
    for (Snippet s : snippets) {
      assertThat(s.documented())
          .as("%s: the snippet %s#%s", document, s.file(), s.tag())
          .isEqualTo(region(ROOT.resolve(s.file()), s.tag()));
    }
  }

  private static List<Snippet> snippets(Path document) throws IOException {
    List<String> lines = Files.readAllLines(document);
    List<Snippet> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = MARKER.matcher(lines.get(i).trim());
      if (!m.matches()) {
        continue;
      }
      assertThat(lines.get(i + 1)).as("%s line %d", document, i + 2).isEqualTo("```java");
      StringBuilder block = new StringBuilder();
      int k = i + 2;
      for (; !lines.get(k).equals("```"); k++) {
        block.append(lines.get(k)).append('\n');
      }
      out.add(new Snippet(m.group(1), m.group(2), block.toString()));
      i = k;
    }
    return out;
  }

  /**
   * The lines between the tag's markers, without trailing blank lines and with their common
   * indentation removed.
   */
  static String region(Path source, String tag) throws IOException {
    List<String> lines = Files.readAllLines(source);
    int start = lines.indexOf(indentOf(lines, "// tag::" + tag + "[]"));
    int end = lines.indexOf(indentOf(lines, "// end::" + tag + "[]"));
    assertThat(start).as("// tag::%s[] in %s", tag, source).isNotNegative();
    assertThat(end).as("// end::%s[] in %s", tag, source).isGreaterThan(start);
    List<String> region = new ArrayList<>(lines.subList(start + 1, end));
    while (!region.isEmpty() && region.get(region.size() - 1).isBlank()) {
      region.remove(region.size() - 1);
    }
    int indent =
        region.stream()
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    StringBuilder out = new StringBuilder();
    for (String l : region) {
      out.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
    }
    return out.toString();
  }

  private static String indentOf(List<String> lines, String marker) {
    return lines.stream().filter(l -> l.trim().equals(marker)).findFirst().orElse(marker);
  }
}
