package io.webhookd.loadtest;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The load file of the seed's {@code csv-generate}: a header line {@code topic,key,payload,offset_ms}
 * and one row per message; fields are quoted RFC 4180 style.
 */
final class Csv {
  static final String HEADER = "topic,key,payload,offset_ms";

  private Csv() {}

  static void write(Path file, List<Payloads.Row> rows) throws IOException {
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write(HEADER);
      w.write('\n');
      for (Payloads.Row r : rows) {
        w.write(quote(r.topic()));
        w.write(',');
        w.write(quote(r.key()));
        w.write(',');
        w.write(quote(new String(r.payload(), StandardCharsets.UTF_8)));
        w.write(',');
        w.write(Long.toString(r.offsetMs()));
        w.write('\n');
      }
    }
  }

  /** Reads rows back; {@code seq} is the row's index (0-based, header excluded). */
  static List<Payloads.Row> read(Path file) throws IOException {
    List<Payloads.Row> rows = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String header = r.readLine();
      if (header == null || !header.trim().equals(HEADER)) {
        throw new IOException(file + ": the first line must be \"" + HEADER + "\", was \"" + header + "\"");
      }
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        List<String> f = split(line);
        if (f.size() != 4) {
          throw new IOException(file + " line " + (n + 2) + ": expected 4 fields, found " + f.size());
        }
        byte[] payload = f.get(2).getBytes(StandardCharsets.UTF_8);
        int seq = Payloads.fields(payload).seq();
        rows.add(new Payloads.Row(seq >= 0 ? seq : n, f.get(0), f.get(1), payload, Long.parseLong(f.get(3).trim())));
        n++;
      }
    }
    rows.sort((a, b) -> Long.compare(a.offsetMs(), b.offsetMs()));
    return rows;
  }

  static String quote(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }

  static List<String> split(String line) {
    List<String> out = new ArrayList<>(4);
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
            cur.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          cur.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }
}
