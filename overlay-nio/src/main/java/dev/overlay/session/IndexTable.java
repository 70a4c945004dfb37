package dev.overlay.session;

import java.util.Random;

/**
 * Receiver index -> session state (a {@link Keypair} or a pending {@link Handshake}).
 *
 * <p>Open addressing with linear probing over int keys, so the per-packet lookup neither boxes nor
 * allocates. Indices are random (WireGuard does the same): they are visible on the wire and must not
 * reveal how many sessions a node has. Index 0 is never used, so 0 can mark an empty slot.
 */
final class IndexTable {
    private int[] keys = new int[64];
    private Object[] values = new Object[64];
    private int size;
    private int tombstones;
    private static final Object TOMBSTONE = new Object();

    /** Allocates a fresh random non-zero index for {@code value}. */
    int allocate(Object value, Random random) {
        while (true) {
            int index = random.nextInt();
            if (index != 0 && get(index) == null) {
                put(index, value);
                return index;
            }
        }
    }

    /** The value under {@code index}, or null. */
    Object get(int index) {
        if (index == 0) {
            return null;
        }
        int mask = keys.length - 1;
        for (int i = mix(index) & mask; ; i = (i + 1) & mask) {
            if (keys[i] == 0 && values[i] == null) {
                return null;
            }
            if (keys[i] == index && values[i] != TOMBSTONE) {
                return values[i];
            }
        }
    }

    /** Replaces the value of an existing index (a handshake becoming a keypair). */
    void replace(int index, Object value) {
        int slot = find(index);
        if (slot < 0) {
            throw new IllegalStateException("index " + index + " not in table");
        }
        values[slot] = value;
    }

    void remove(int index) {
        int slot = find(index);
        if (slot >= 0) {
            values[slot] = TOMBSTONE;
            size--;
            tombstones++;
        }
    }

    int size() {
        return size;
    }

    private int find(int index) {
        int mask = keys.length - 1;
        for (int i = mix(index) & mask; ; i = (i + 1) & mask) {
            if (keys[i] == 0 && values[i] == null) {
                return -1;
            }
            if (keys[i] == index && values[i] != TOMBSTONE) {
                return i;
            }
        }
    }

    private void put(int index, Object value) {
        if ((size + tombstones + 1) * 2 > keys.length) {
            rehash(size * 4 > keys.length ? keys.length * 2 : keys.length);
        }
        int mask = keys.length - 1;
        int i = mix(index) & mask;
        while (values[i] != null && values[i] != TOMBSTONE) {
            i = (i + 1) & mask;
        }
        if (values[i] == TOMBSTONE) {
            tombstones--;
        }
        keys[i] = index;
        values[i] = value;
        size++;
    }

    private void rehash(int capacity) {
        int[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new int[capacity];
        values = new Object[capacity];
        size = 0;
        tombstones = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldValues[i] != null && oldValues[i] != TOMBSTONE) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    private static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
