package dev.llmemu.engine.internal.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * The tokens the emulated model "generates": common English words that are single tokens in {@code
 * cl100k_base}, plus punctuation, stored with their ids so that generating text never needs the
 * tokenizer (a simulation does not load it). {@code SyntheticVocabularyTest} checks every id
 * against JTokkit.
 */
public final class SyntheticVocabulary {
  /** {@code <|endoftext|>} in cl100k_base. */
  public static final int EOS_TOKEN_ID = 100_257;

  private static final SyntheticVocabulary INSTANCE = load();

  private final int[] ids;
  private final String[] texts;
  private final int[] wordIndexes;
  private final int commaIndex;
  private final int periodIndex;
  private final Map<Integer, String> textById = new HashMap<>();

  private SyntheticVocabulary(List<Entry> entries) {
    ids = entries.stream().mapToInt(Entry::id).toArray();
    texts = entries.stream().map(Entry::text).toArray(String[]::new);
    List<String> all = List.of(texts);
    commaIndex = all.indexOf(",");
    periodIndex = all.indexOf(".");
    if (commaIndex < 0 || periodIndex < 0) {
      throw new IllegalStateException("synthetic vocabulary lacks ',' or '.'");
    }
    List<Integer> words = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      textById.put(ids[i], texts[i]);
      if (texts[i].startsWith(" ")) {
        words.add(i);
      }
    }
    wordIndexes = words.stream().mapToInt(Integer::intValue).toArray();
    textById.put(EOS_TOKEN_ID, "");
  }

  public static SyntheticVocabulary get() {
    return INSTANCE;
  }

  /** Number of distinct word tokens. */
  public int size() {
    return wordIndexes.length;
  }

  /**
   * The index of the next synthetic token for 64 random bits: mostly words, with commas and full
   * stops. Use {@link #id(int)} and {@link #text(int)} on the result.
   */
  public int nextIndex(long bits) {
    int r = (int) ((bits & 0xFFFFFFFFL) * 100 >>> 32);
    if (r < 5) {
      return commaIndex;
    }
    if (r < 10) {
      return periodIndex;
    }
    return wordIndexes[(int) ((bits >>> 32) * wordIndexes.length >>> 32)];
  }

  /** As {@link #nextIndex(long)}, drawing the bits from {@code random}. */
  public int nextIndex(RandomGenerator random) {
    return nextIndex(random.nextLong());
  }

  public int id(int index) {
    return ids[index];
  }

  public String text(int index) {
    return texts[index];
  }

  /** A word token id by position modulo the vocabulary: for building deterministic prompts. */
  public int wordToken(int position) {
    return ids[wordIndexes[Math.floorMod(position, wordIndexes.length)]];
  }

  /** The text of a synthetic token id (EOS decodes to nothing, as in vLLM), or null. */
  public @Nullable String textOf(int tokenId) {
    return textById.get(tokenId);
  }

  /** Every entry as (id, text), in file order: for the consistency test. */
  public static List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    readInto(out);
    return out;
  }

  /** One vocabulary entry. */
  public record Entry(int id, String text) {}

  private static SyntheticVocabulary load() {
    List<Entry> entries = new ArrayList<>();
    readInto(entries);
    return new SyntheticVocabulary(entries);
  }

  private static void readInto(List<Entry> out) {
    try (InputStream in = SyntheticVocabulary.class.getResourceAsStream("synthetic-vocab.tsv")) {
      if (in == null) {
        throw new IllegalStateException("synthetic-vocab.tsv missing from the classpath");
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.isEmpty()) {
          continue;
        }
        int tab = line.indexOf('\t');
        out.add(
            new Entry(
                Integer.parseInt(line.substring(0, tab)),
                line.substring(tab + 1).replace("\\n", "\n")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
