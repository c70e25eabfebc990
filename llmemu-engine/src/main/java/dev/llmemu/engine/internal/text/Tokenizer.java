package dev.llmemu.engine.internal.text;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * The emulated model's tokenizer: OpenAI's {@code cl100k_base} BPE through JTokkit. Loading the
 * encoding takes about a quarter of a second, so it happens once per JVM on a background thread
 * started by {@link #preload()}; the first call that needs it waits for it.
 *
 * <p>User text is always encoded with {@code encodeOrdinary}: a prompt that contains {@code
 * <|endoftext|>} is ordinary text, never a special token (and never an exception).
 */
public final class Tokenizer {
  /** Token ids at or above this are out of the vocabulary (cl100k's specials end at 100276). */
  public static final int VOCAB_SIZE = 100_277;

  /** {@code <|im_start|>} in cl100k_base: opens a ChatML message. */
  public static final int IM_START = 100_264;

  /** {@code <|im_end|>} in cl100k_base: closes a ChatML message. */
  public static final int IM_END = 100_265;

  private static final int FIRST_SPECIAL = 100_256;

  private static final CompletableFuture<Tokenizer> INSTANCE = new CompletableFuture<>();
  private static volatile boolean started;

  private final Encoding encoding;

  private Tokenizer(Encoding encoding) {
    this.encoding = encoding;
  }

  /** Starts loading the encoding in the background, once per JVM. Returns at once. */
  public static void preload() {
    if (started) {
      return;
    }
    synchronized (Tokenizer.class) {
      if (started) {
        return;
      }
      started = true;
      Thread loader =
          new Thread(
              () -> {
                try {
                  INSTANCE.complete(
                      new Tokenizer(
                          Encodings.newLazyEncodingRegistry()
                              .getEncoding(EncodingType.CL100K_BASE)));
                } catch (RuntimeException | Error e) {
                  INSTANCE.completeExceptionally(e);
                }
              },
              "llmemu-tokenizer-loader");
      loader.setDaemon(true);
      loader.start();
    }
  }

  /** The tokenizer, waiting for it to load if needed. */
  public static Tokenizer get() {
    preload();
    try {
      return INSTANCE.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading the tokenizer", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not load the cl100k_base tokenizer", e.getCause());
    }
  }

  /** True once loaded: callers on an event loop can choose to hand work elsewhere until then. */
  public static boolean isLoaded() {
    return INSTANCE.isDone() && !INSTANCE.isCompletedExceptionally();
  }

  public String name() {
    return encoding.getName();
  }

  /** Encodes text, treating special-token strings as ordinary text. */
  public int[] encode(String text) {
    if (text.isEmpty()) {
      return new int[0];
    }
    return encoding.encodeOrdinary(text).toArray();
  }

  /** Number of tokens {@link #encode} would return. */
  public int count(String text) {
    return text.isEmpty() ? 0 : encoding.countTokensOrdinary(text);
  }

  /**
   * Decodes token ids to text. Bytes that do not form valid UTF-8 (a multi-byte character split
   * across tokens) become U+FFFD, as Hugging Face tokenizers do.
   *
   * @throws IllegalArgumentException naming the first id outside the vocabulary
   */
  public String decode(int[] tokenIds) {
    return new String(decodeBytes(tokenIds), StandardCharsets.UTF_8);
  }

  /** The text of one token, or null if the id is outside the vocabulary. */
  public @Nullable String tokenText(int tokenId) {
    if (!isKnown(tokenId)) {
      return null;
    }
    String synthetic = SyntheticVocabulary.get().textOf(tokenId);
    if (synthetic != null && tokenId != SyntheticVocabulary.EOS_TOKEN_ID) {
      return synthetic;
    }
    return decode(new int[] {tokenId});
  }

  private byte[] decodeBytes(int[] tokenIds) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(tokenIds.length * 4);
    IntArrayList run = new IntArrayList(tokenIds.length);
    for (int id : tokenIds) {
      if (!isKnown(id)) {
        throw new IllegalArgumentException("Token id " + id + " is out of vocabulary");
      }
      if (id < FIRST_SPECIAL) {
        run.add(id);
        continue;
      }
      flush(run, out);
      out.writeBytes(specialText(id).getBytes(StandardCharsets.UTF_8));
    }
    flush(run, out);
    return out.toByteArray();
  }

  private void flush(IntArrayList run, java.io.ByteArrayOutputStream out) {
    if (!run.isEmpty()) {
      out.writeBytes(encoding.decodeBytes(run));
      run.clear();
    }
  }

  /** The marker text of a special token (reserved ids decode to nothing). */
  static String specialText(int id) {
    switch (id) {
      case SyntheticVocabulary.EOS_TOKEN_ID:
        return "<|endoftext|>";
      case 100_258:
        return "<|fim_prefix|>";
      case 100_259:
        return "<|fim_middle|>";
      case 100_260:
        return "<|fim_suffix|>";
      case IM_START:
        return "<|im_start|>";
      case IM_END:
        return "<|im_end|>";
      case 100_276:
        return "<|endofprompt|>";
      default:
        return "";
    }
  }

  /**
   * Whether the id is a token of cl100k_base: the 100,256 byte-pair tokens and the special ids
   * 100257 to 100276 (100256 is a hole in its id space).
   */
  public static boolean isKnown(int tokenId) {
    return tokenId >= 0 && tokenId < VOCAB_SIZE && tokenId != 100_256;
  }
}
