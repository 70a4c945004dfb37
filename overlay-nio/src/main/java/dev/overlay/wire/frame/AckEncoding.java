package dev.overlay.wire.frame;

import java.nio.ByteBuffer;

/**
 * Validates and encodes ACK ranges given in {@link AckFrame}'s descending layout into the relative
 * encoding of RFC 9000 (19.3): first range, then (gap, ack range length) pairs.
 */
final class AckEncoding {
    private AckEncoding() {}

    /** Throws IAE unless the ranges are well formed; see {@link FrameWriter#writeAck}. */
    static void check(long[] ranges, int rangeCount, long ackDelayMicros) {
        if (rangeCount < 1 || rangeCount > AckFrame.MAX_RANGES) {
            throw new IllegalArgumentException("ACK: range count " + rangeCount + " not in 1.." + AckFrame.MAX_RANGES);
        }
        if (ranges.length < 2 * rangeCount) {
            throw new IllegalArgumentException("ACK: " + rangeCount + " ranges need " + 2 * rangeCount + " array entries, got " + ranges.length);
        }
        if (ackDelayMicros < 0 || ackDelayMicros > Varint.MAX) {
            throw new IllegalArgumentException("ACK: ack delay out of range: " + ackDelayMicros);
        }
        long previousLow = Long.MIN_VALUE;
        for (int i = 0; i < rangeCount; i++) {
            long high = ranges[2 * i];
            long low = ranges[2 * i + 1];
            if (low < 0 || low > high || high > Varint.MAX) {
                throw new IllegalArgumentException("ACK: range " + i + " [" + low + ", " + high + "] is not 0 <= low <= high <= 2^62-1");
            }
            // Gap = previous_smallest - largest - 2 must be >= 0: one missing packet at least.
            if (i > 0 && high > previousLow - 2) {
                throw new IllegalArgumentException("ACK: range " + i + " [" + low + ", " + high
                        + "] is not below range " + (i - 1) + " (lowest " + previousLow + ") with a missing packet between");
            }
            previousLow = low;
        }
    }

    /** Encoded length including the type byte; ranges already checked. */
    static int length(long[] ranges, int rangeCount, long ackDelayMicros) {
        long top = ranges[0];
        int n = 1 + Varint.length(top) + Varint.length(ackDelayMicros) + Varint.length(rangeCount - 1)
                + Varint.length(top - ranges[1]);
        for (int i = 1; i < rangeCount; i++) {
            n += Varint.length(ranges[2 * i - 1] - ranges[2 * i] - 2) + Varint.length(ranges[2 * i] - ranges[2 * i + 1]);
        }
        return n;
    }

    /** Writes the frame including the type byte; ranges already checked, space already checked. */
    static void write(ByteBuffer b, long[] ranges, int rangeCount, long ackDelayMicros) {
        b.put((byte) FrameType.ACK);
        Varint.write(b, ranges[0]);
        Varint.write(b, ackDelayMicros);
        Varint.write(b, rangeCount - 1);
        Varint.write(b, ranges[0] - ranges[1]);
        for (int i = 1; i < rangeCount; i++) {
            // RFC 9000 (19.3.1): "largest = previous_smallest - gap - 2", so gap is the inverse.
            Varint.write(b, ranges[2 * i - 1] - ranges[2 * i] - 2);
            Varint.write(b, ranges[2 * i] - ranges[2 * i + 1]);
        }
    }
}
