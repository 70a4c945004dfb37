package dev.overlay.recovery;

/**
 * The sent packets of one packet number space in packet-number order, for {@link LossDetector}.
 *
 * <p>A ring of parallel arrays (numbers, packets, states) used as a deque: packets are appended in
 * increasing packet-number order, so the ring stays sorted and a packet number is found by binary
 * search in O(log n) without boxing. Packet numbers may have gaps (a sender may skip numbers);
 * a gap simply has no entry. An acknowledged or lost packet stays as a settled entry (its
 * packet reference cleared) until every entry before it is settled too, then the head moves past
 * it; so memory is O(packets from the oldest outstanding one to the newest), and the settled
 * entries in between still tell which packets were acknowledged (persistent congestion needs
 * that). Indices below are logical: 0 is the oldest entry.
 */
final class SentPacketQueue {
    static final byte OUTSTANDING = 0;
    static final byte ACKED = 1;
    static final byte LOST = 2;

    /** Tuning: a power of two holding the initial window's packets several times over. */
    private static final int INITIAL_CAPACITY = 64;
    /** The largest power-of-two array length Java allows. */
    private static final int MAX_CAPACITY = 1 << 30;

    private long[] numbers = new long[INITIAL_CAPACITY];
    private SentPacket[] packets = new SentPacket[INITIAL_CAPACITY];
    private byte[] states = new byte[INITIAL_CAPACITY];
    private int head;
    private int size;
    private int outstanding;

    /** Appends a packet whose number is above every number already held. */
    void add(SentPacket p) {
        if (size == numbers.length) {
            grow();
        }
        int s = slot(size);
        numbers[s] = p.packetNumber;
        packets[s] = p;
        states[s] = OUTSTANDING;
        size++;
        outstanding++;
    }

    /** Entries held, settled ones included. */
    int size() {
        return size;
    }

    /** Entries neither acknowledged nor lost. */
    int outstanding() {
        return outstanding;
    }

    long number(int index) {
        return numbers[slot(index)];
    }

    byte state(int index) {
        return states[slot(index)];
    }

    /** The packet at {@code index}; null once settled. */
    SentPacket packet(int index) {
        return packets[slot(index)];
    }

    /** Marks an outstanding entry acknowledged or lost and returns its packet. */
    SentPacket settle(int index, byte state) {
        int s = slot(index);
        SentPacket p = packets[s];
        packets[s] = null;
        states[s] = state;
        outstanding--;
        return p;
    }

    /** The first index whose packet number is at least {@code pn}; {@link #size()} if none. */
    int lowerBound(long pn) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (number(mid) < pn) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Forgets settled entries at the head. Invalidates indices. */
    void trimSettled() {
        int mask = numbers.length - 1;
        while (size > 0 && states[head] != OUTSTANDING) {
            head = (head + 1) & mask;
            size--;
        }
    }

    private int slot(int index) {
        return (head + index) & (numbers.length - 1);
    }

    private void grow() {
        int n = numbers.length;
        if (n >= MAX_CAPACITY) {
            throw new IllegalStateException("more than " + MAX_CAPACITY + " sent packets tracked");
        }
        long[] nn = new long[n * 2];
        SentPacket[] np = new SentPacket[n * 2];
        byte[] ns = new byte[n * 2];
        for (int i = 0; i < size; i++) {
            int s = slot(i);
            nn[i] = numbers[s];
            np[i] = packets[s];
            ns[i] = states[s];
        }
        numbers = nn;
        packets = np;
        states = ns;
        head = 0;
    }
}
