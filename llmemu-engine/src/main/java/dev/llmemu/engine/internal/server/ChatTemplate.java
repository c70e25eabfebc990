package dev.llmemu.engine.internal.server;

import dev.llmemu.engine.internal.text.Tokenizer;
import java.util.List;

/**
 * The emulated model's chat template: ChatML, whose {@code <|im_start|>} and {@code <|im_end|>}
 * markers are special tokens of cl100k_base, so the prompt's token count is what a real chat model
 * would see. Each message becomes {@code <|im_start|>ROLE\nCONTENT<|im_end|>\n}; the generation
 * prompt is {@code <|im_start|>assistant\n}. Message text is encoded as ordinary text, so a user
 * cannot inject special tokens.
 */
public final class ChatTemplate {
  /** One message, content already flattened to text. */
  public record Message(String role, String content) {}

  /** A rendered prompt: its text and its token ids. */
  public record Rendered(String text, int[] tokenIds) {}

  private ChatTemplate() {}

  public static Rendered render(
      List<Message> messages, boolean addGenerationPrompt, boolean continueFinalMessage) {
    Tokenizer tok = Tokenizer.get();
    StringBuilder text = new StringBuilder();
    IntArray ids = new IntArray(64);
    for (int i = 0; i < messages.size(); i++) {
      Message m = messages.get(i);
      boolean open = continueFinalMessage && i == messages.size() - 1;
      text.append("<|im_start|>").append(m.role()).append('\n').append(m.content());
      ids.add(Tokenizer.IM_START);
      ids.addAll(tok.encode(m.role() + "\n" + m.content()));
      if (!open) {
        text.append("<|im_end|>\n");
        ids.add(Tokenizer.IM_END);
        ids.addAll(tok.encode("\n"));
      }
    }
    if (addGenerationPrompt && !continueFinalMessage) {
      text.append("<|im_start|>assistant\n");
      ids.add(Tokenizer.IM_START);
      ids.addAll(tok.encode("assistant\n"));
    }
    return new Rendered(text.toString(), ids.toArray());
  }

  /** A growable int array. */
  static final class IntArray {
    private int[] data;
    private int size;

    IntArray(int capacity) {
      data = new int[Math.max(4, capacity)];
    }

    void add(int v) {
      if (size == data.length) {
        data = java.util.Arrays.copyOf(data, size * 2);
      }
      data[size++] = v;
    }

    void addAll(int[] values) {
      if (size + values.length > data.length) {
        data = java.util.Arrays.copyOf(data, Math.max(size * 2, size + values.length));
      }
      System.arraycopy(values, 0, data, size, values.length);
      size += values.length;
    }

    int size() {
      return size;
    }

    void clear() {
      size = 0;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(data, size);
    }
  }
}
