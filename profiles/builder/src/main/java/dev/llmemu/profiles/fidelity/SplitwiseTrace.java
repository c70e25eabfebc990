package dev.llmemu.profiles.fidelity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads (prompt, output) token lengths of Vidur's processed Azure traces. */
final class SplitwiseTrace {
  private SplitwiseTrace() {}

  static int[][] read(Path csv) {
    try {
      List<String> lines = Files.readAllLines(csv);
      List<String> header = Arrays.asList(lines.get(0).split(","));
      int p = header.indexOf("num_prefill_tokens");
      int d = header.indexOf("num_decode_tokens");
      List<int[]> out = new ArrayList<>();
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split(",");
        int prompt = (int) Double.parseDouble(f[p]);
        int decode = (int) Double.parseDouble(f[d]);
        if (prompt > 0 && decode > 0) {
          out.add(new int[] {prompt, decode});
        }
      }
      return out.toArray(new int[0][]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
