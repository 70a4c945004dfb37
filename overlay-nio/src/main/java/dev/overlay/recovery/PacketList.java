package dev.overlay.recovery;

import java.util.Arrays;

/**
 * A reusable list of packets settled by one call of {@link LossDetector}: filled while the
 * detector updates its state, read when it calls back, then cleared so that no packet is retained.
 * Grows by doubling and never shrinks, so steady-state use allocates nothing.
 */
final class PacketList {
    /** Tuning: an ACK usually settles a handful of packets; 16 avoids early regrowth. */
    private static final int INITIAL_CAPACITY = 16;

    private SentPacket[] items = new SentPacket[INITIAL_CAPACITY];
    private int size;

    void add(SentPacket p) {
        if (size == items.length) {
            items = Arrays.copyOf(items, size * 2);
        }
        items[size++] = p;
    }

    int size() {
        return size;
    }

    SentPacket get(int i) {
        return items[i];
    }

    void clear() {
        Arrays.fill(items, 0, size, null);
        size = 0;
    }
}
