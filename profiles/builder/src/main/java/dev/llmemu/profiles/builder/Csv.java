package dev.llmemu.profiles.builder;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** A small reader for the data's plain CSV files (no quoted commas), gzip-aware. */
final class Csv {
  private final List<String> header;
  private final Map<String, Integer> index = new HashMap<>();
  private final List<String[]> rows;

  private Csv(List<String> header, List<String[]> rows) {
    this.header = header;
    this.rows = rows;
    for (int i = 0; i < header.size(); i++) {
      index.put(header.get(i), i);
    }
  }

  static Csv read(Path path) {
    try (InputStream raw = Files.newInputStream(path);
        InputStream in = path.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String first = r.readLine();
      if (first == null) {
        throw new IllegalArgumentException(path + " is empty");
      }
      List<String> header = List.of(first.split(",", -1));
      List<String[]> rows = new ArrayList<>();
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isBlank()) {
          rows.add(line.split(",", -1));
        }
      }
      return new Csv(header, rows);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  List<String> header() {
    return header;
  }

  int size() {
    return rows.size();
  }

  boolean has(String column) {
    return index.containsKey(column);
  }

  String get(int row, String column) {
    Integer i = index.get(column);
    if (i == null) {
      throw new IllegalArgumentException("no column " + column + " in " + header);
    }
    String[] r = rows.get(row);
    return i < r.length ? r[i] : "";
  }

  double num(int row, String column) {
    String s = get(row, column);
    return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
  }
}
