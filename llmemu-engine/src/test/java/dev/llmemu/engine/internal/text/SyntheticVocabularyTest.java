package dev.llmemu.engine.internal.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SyntheticVocabularyTest {
  private static final Encoding CL100K =
      Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

  @Test
  void everyStoredIdIsTheCl100kTokenOfItsText() {
    assertThat(SyntheticVocabulary.entries()).hasSizeGreaterThan(200);
    for (SyntheticVocabulary.Entry e : SyntheticVocabulary.entries()) {
      IntArrayList ids = CL100K.encodeOrdinary(e.text());
      assertThat(ids.size()).as("'%s' is one token", e.text()).isEqualTo(1);
      assertThat(ids.get(0)).as("id of '%s'", e.text()).isEqualTo(e.id());
    }
  }

  @Test
  void eosIsEndOfText() {
    IntArrayList eos = new IntArrayList();
    eos.add(SyntheticVocabulary.EOS_TOKEN_ID);
    assertThat(CL100K.decode(eos)).isEqualTo("<|endoftext|>");
    assertThat(SyntheticVocabulary.get().textOf(SyntheticVocabulary.EOS_TOKEN_ID)).isEmpty();
  }

  @Test
  void generatedTextDecodesToTheConcatenationOfTokenTexts() {
    SyntheticVocabulary vocab = SyntheticVocabulary.get();
    SplittableRandom random = new SplittableRandom(1);
    IntArrayList ids = new IntArrayList();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 500; i++) {
      int idx = vocab.nextIndex(random);
      ids.add(vocab.id(idx));
      text.append(vocab.text(idx));
    }
    assertThat(CL100K.decode(ids)).isEqualTo(text.toString());
  }
}
