package dev.llmemu.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The container snippets in README.md and docs/containers.md are the tagged code of compiling
 * tests: a block after {@code <!-- snippet: FILE#TAG -->} must equal the lines between {@code //
 * tag::TAG[]} and {@code // end::TAG[]} in FILE (both relative to the repository's root).
 */
class DocSnippetsTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final Pattern MARKER = Pattern.compile("<!-- snippet: (\\S+)#(\\S+) -->");

  @Test
  void snippetsMatchTheirTaggedSources() throws IOException {
    List<String> checked = new ArrayList<>();
    for (String doc : List.of("README.md", "docs/containers.md")) {
      List<String> lines = Files.readAllLines(ROOT.resolve(doc));
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = MARKER.matcher(lines.get(i));
        if (!m.find()) {
          continue;
        }
        assertThat(lines.get(i + 1))
            .as("%s line %d: a ``` block after the marker", doc, i + 2)
            .startsWith("```");
        List<String> block = new ArrayList<>();
        for (int j = i + 2; !lines.get(j).startsWith("```"); j++) {
          block.add(lines.get(j));
        }
        assertThat(String.join("\n", block))
            .as("%s line %d: snippet %s#%s", doc, i + 1, m.group(1), m.group(2))
            .isEqualTo(tagged(ROOT.resolve(m.group(1)), m.group(2)));
        checked.add(doc + ":" + m.group(2));
      }
    }
    assertThat(checked)
        .contains(
            "README.md:container", "docs/containers.md:container", "docs/containers.md:network");
  }

  /** The lines between the tag markers, without their common indentation or trailing blanks. */
  private static String tagged(Path source, String tag) throws IOException {
    List<String> lines = Files.readAllLines(source);
    int start =
        lines.indexOf(
            lines.stream()
                .filter(l -> l.strip().equals("// tag::" + tag + "[]"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no tag::" + tag + "[] in " + source)));
    List<String> body = new ArrayList<>();
    for (int i = start + 1; !lines.get(i).strip().equals("// end::" + tag + "[]"); i++) {
      body.add(lines.get(i));
    }
    while (!body.isEmpty() && body.get(body.size() - 1).isBlank()) {
      body.remove(body.size() - 1);
    }
    int indent =
        body.stream()
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    return String.join(
        "\n", body.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList());
  }
}
