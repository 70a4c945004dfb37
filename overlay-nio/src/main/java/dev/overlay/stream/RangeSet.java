package dev.overlay.stream;

import java.util.Arrays;

/**
 * A set of longs in {@code [0, 2^62)} (packet numbers, stream offsets) kept as sorted, disjoint, non-adjacent inclusive ranges
 * {@code [lo, hi]}: received packet numbers (for ACK frames), received stream offsets, acked and
 * lost byte ranges of a send buffer. Two parallel arrays, binary search, no boxing. Adjacent ranges
 * merge, so a contiguous flow is one range whatever its length.
 */
final class RangeSet {
    /** Largest member: QUIC's varint limit, so {@code to + 1} never overflows. */
    static final long MAX = (1L << 62) - 1;
    private long[] lo = new long[4];
    private long[] hi = new long[4];
    private int size;

    int rangeCount() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    long low(int i) {
        return lo[i];
    }

    long high(int i) {
        return hi[i];
    }

    /** The smallest member; the set must not be empty. */
    long first() {
        return lo[0];
    }

    /** The largest member; the set must not be empty. */
    long last() {
        return hi[size - 1];
    }

    boolean contains(long x) {
        int i = rangeAtOrBefore(x);
        return i >= 0 && hi[i] >= x;
    }

    /**
     * The end (exclusive) of the run of members starting at {@code x}: {@code x} itself when
     * {@code x} is not a member.
     */
    long contiguousEnd(long x) {
        int i = rangeAtOrBefore(x);
        return i >= 0 && hi[i] >= x ? hi[i] + 1 : x;
    }

    /** Adds {@code [from, to]} (inclusive); merges with neighbours. */
    void add(long from, long to) {
        if (from > to || from < 0 || to > MAX) {
            throw new IllegalArgumentException("bad range [" + from + ", " + to + "]");
        }
        // First range that could touch [from, to]: the last one starting at or before from.
        int i = rangeAtOrBefore(from);
        if (i < 0 || hi[i] < from - 1) {
            i++;
        }
        // Ranges i..j-1 overlap or touch the new one.
        int j = i;
        while (j < size && lo[j] <= to + 1) {
            j++;
        }
        if (i == j) {
            insertAt(i, from, to);
            return;
        }
        lo[i] = Math.min(lo[i], from);
        hi[i] = Math.max(hi[j - 1], to);
        removeRanges(i + 1, j);
    }

    /** Removes {@code [from, to]} (inclusive). */
    void remove(long from, long to) {
        if (from > to) {
            return;
        }
        int i = rangeAtOrBefore(from);
        if (i < 0 || hi[i] < from) {
            i++;
        }
        while (i < size && lo[i] <= to) {
            if (lo[i] < from && hi[i] > to) { // split
                insertAt(i + 1, to + 1, hi[i]);
                hi[i] = from - 1;
                return;
            }
            if (lo[i] < from) {
                hi[i] = from - 1;
                i++;
            } else if (hi[i] > to) {
                lo[i] = to + 1;
                return;
            } else {
                removeRanges(i, i + 1);
            }
        }
    }

    /** Removes every member below {@code x}. */
    void removeBelow(long x) {
        if (x > 0) {
            remove(0, x - 1);
        }
    }

    /** Drops the lowest ranges so at most {@code max} remain (bounds ACK state). */
    void keepHighest(int max) {
        if (size > max) {
            removeRanges(0, size - max);
        }
    }

    void clear() {
        size = 0;
    }

    /** Index of the last range with {@code lo <= x}, or -1. */
    private int rangeAtOrBefore(long x) {
        int a = 0;
        int b = size - 1;
        while (a <= b) {
            int m = (a + b) >>> 1;
            if (lo[m] <= x) {
                a = m + 1;
            } else {
                b = m - 1;
            }
        }
        return b;
    }

    private void insertAt(int i, long from, long to) {
        if (size == lo.length) {
            lo = Arrays.copyOf(lo, size * 2);
            hi = Arrays.copyOf(hi, size * 2);
        }
        System.arraycopy(lo, i, lo, i + 1, size - i);
        System.arraycopy(hi, i, hi, i + 1, size - i);
        lo[i] = from;
        hi[i] = to;
        size++;
    }

    private void removeRanges(int from, int to) {
        System.arraycopy(lo, to, lo, from, size - to);
        System.arraycopy(hi, to, hi, from, size - to);
        size -= to - from;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < size; i++) {
            b.append(i == 0 ? "" : ", ").append('[').append(lo[i]).append(", ").append(hi[i]).append(']');
        }
        return b.append('}').toString();
    }
}
