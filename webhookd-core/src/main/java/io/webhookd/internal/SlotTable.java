package io.webhookd.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which engine owns each slot of the coordination group: slot {@code i} (partition {@code i} of
 * the slots topic) is owned by {@code owners().get(i)}, an engine id. The group's leader computes it
 * ({@link SlotAssignor}) and sends it to every member, so every engine sees the same table.
 * Immutable.
 */
record SlotTable(int generation, List<String> owners) {
  private static final short FORMAT = 1;

  SlotTable {
    owners = List.copyOf(owners);
  }

  int slots() {
    return owners.size();
  }

  String owner(int slot) {
    return owners.get(slot);
  }

  /** The engines that own at least one slot, sorted. */
  List<String> engines() {
    return new ArrayList<>(new TreeSet<>(owners));
  }

  /** The slots {@code engineId} owns, ascending. */
  List<Integer> slotsOf(String engineId) {
    List<Integer> mine = new ArrayList<>();
    for (int i = 0; i < owners.size(); i++) {
      if (owners.get(i).equals(engineId)) {
        mine.add(i);
      }
    }
    return mine;
  }

  ByteBuffer encode() {
    List<String> engines = engines();
    Map<String, Integer> index = new HashMap<>();
    List<byte[]> names = new ArrayList<>();
    int size = 2 + 4 + 4 + 4 + owners.size() * 2;
    for (String e : engines) {
      index.put(e, index.size());
      byte[] b = e.getBytes(StandardCharsets.UTF_8);
      names.add(b);
      size += 2 + b.length;
    }
    ByteBuffer buf = ByteBuffer.allocate(size);
    buf.putShort(FORMAT).putInt(generation).putInt(names.size());
    for (byte[] b : names) {
      buf.putShort((short) b.length).put(b);
    }
    buf.putInt(owners.size());
    for (String o : owners) {
      buf.putShort(index.get(o).shortValue());
    }
    return buf.flip();
  }

  /** The table in an assignment's user data. */
  static SlotTable decode(ByteBuffer data) {
    ByteBuffer buf = data.duplicate();
    short format = buf.getShort();
    if (format != FORMAT) {
      throw new IllegalArgumentException("unknown slot table format " + format);
    }
    int generation = buf.getInt();
    int count = buf.getInt();
    List<String> engines = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] b = new byte[buf.getShort()];
      buf.get(b);
      engines.add(new String(b, StandardCharsets.UTF_8));
    }
    int slots = buf.getInt();
    List<String> owners = new ArrayList<>(slots);
    for (int i = 0; i < slots; i++) {
      owners.add(engines.get(buf.getShort()));
    }
    return new SlotTable(generation, owners);
  }
}
