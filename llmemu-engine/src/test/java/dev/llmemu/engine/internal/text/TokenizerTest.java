package dev.llmemu.engine.internal.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenizerTest {
  final Tokenizer tokenizer = Tokenizer.get();

  @Test
  void encodesAndDecodesCl100k() {
    assertThat(tokenizer.encode("Hello, world")).containsExactly(9906, 11, 1917);
    assertThat(tokenizer.decode(new int[] {9906, 11, 1917})).isEqualTo("Hello, world");
    assertThat(tokenizer.count("Hello, world")).isEqualTo(3);
    assertThat(tokenizer.encode("")).isEmpty();
  }

  @Test
  void specialTokenTextInUserInputIsOrdinaryText() {
    int[] ids = tokenizer.encode("<|endoftext|>");
    assertThat(ids).doesNotContain(SyntheticVocabulary.EOS_TOKEN_ID).hasSizeGreaterThan(1);
    assertThat(tokenizer.decode(ids)).isEqualTo("<|endoftext|>");
  }

  @Test
  void specialIdsDecodeToTheirMarkers() {
    assertThat(tokenizer.decode(new int[] {Tokenizer.IM_START, 882, Tokenizer.IM_END}))
        .isEqualTo("<|im_start|>user<|im_end|>");
    assertThat(tokenizer.decode(new int[] {SyntheticVocabulary.EOS_TOKEN_ID}))
        .isEqualTo("<|endoftext|>");
  }

  @Test
  void outOfVocabularyIdsAreRefused() {
    assertThatThrownBy(() -> tokenizer.decode(new int[] {1, 100_277}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Token id 100277 is out of vocabulary");
    assertThat(Tokenizer.isKnown(100_256)).isFalse();
    assertThat(Tokenizer.isKnown(-1)).isFalse();
  }

  @Test
  void everySyntheticVocabularyEntryIsOneCl100kToken() {
    for (SyntheticVocabulary.Entry e : SyntheticVocabulary.entries()) {
      assertThat(tokenizer.encode(e.text())).as(e.text()).containsExactly(e.id());
    }
  }
}
