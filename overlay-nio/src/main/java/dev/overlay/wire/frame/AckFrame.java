package dev.overlay.wire.frame;

/**
 * A decoded ACK frame, RFC 9000 (19.3) without ECN counts, owned and reused by one
 * {@link FrameParser}: valid only during {@link FrameVisitor#onAck}.
 *
 * <p>{@link #ranges()} holds {@link #rangeCount()} pairs in descending order:
 * {@code ranges[2*i]} is the highest and {@code ranges[2*i+1]} the lowest (inclusive) packet number
 * of range {@code i}, so {@code ranges[0] == largest()}. Consecutive ranges are disjoint and
 * separated by at least one unacknowledged packet number.
 *
 * <p>At most {@link #MAX_RANGES} ranges are decoded; an ACK announcing more is a
 * {@link FrameException}. The cap bounds the work one packet can cause (the range count is a
 * varint up to 2^62-1 and each range costs a decode and a visit of the sender's loss state), it
 * lets the ranges live in one preallocated array, and it costs nothing legitimate: our own
 * {@link FrameWriter} never sends more, and a receiver with more than 256 holes in its window
 * reports the newest ones, which are the ones loss recovery needs.
 */
public final class AckFrame {
    /** The most ranges (the first range included) an ACK may carry. */
    public static final int MAX_RANGES = 256;

    private final long[] ranges = new long[2 * MAX_RANGES];
    private long largest;
    private long ackDelayMicros;
    private int rangeCount;

    AckFrame() {}

    /** The largest acknowledged packet number, {@code ranges()[0]}. */
    public long largest() {
        return largest;
    }

    /** How long the receiver held the ACK for the largest acknowledged packet, in microseconds. */
    public long ackDelayMicros() {
        return ackDelayMicros;
    }

    /** Number of ranges, 1..{@link #MAX_RANGES}: the first range plus the ACK Range Count field. */
    public int rangeCount() {
        return rangeCount;
    }

    /**
     * The parser's own array: only the first {@code 2 * rangeCount()} entries are meaningful. Do
     * not keep or modify it.
     */
    public long[] ranges() {
        return ranges;
    }

    /** Decodes the ACK body (after the type byte); on failure the previous contents are undefined. */
    void decode(PacketReader in) throws FrameException {
        long top = in.varint("ACK", "largest acknowledged");
        long delay = in.varint("ACK", "ack delay");
        long more = in.varint("ACK", "ack range count");
        if (more > MAX_RANGES - 1) {
            throw FrameException.stackless("ACK: too many ranges: " + more + " + 1, at most " + MAX_RANGES);
        }
        long first = in.varint("ACK", "first ack range");
        // RFC 9000 (19.3): "the smallest packet acknowledged in the range is determined by
        // subtracting the First ACK Range value from the Largest Acknowledged field."
        if (first > top) {
            throw FrameException.stackless("ACK: first range " + first + " exceeds largest acknowledged " + top);
        }
        long low = top - first;
        ranges[0] = top;
        ranges[1] = low;
        for (int i = 1; i <= (int) more; i++) {
            long gap = in.varint("ACK", "gap");
            long length = in.varint("ACK", "ack range length");
            // RFC 9000 (19.3.1): "largest = previous_smallest - gap - 2" and
            // "smallest = largest - ack_range". "If any computed packet number is negative, an
            // endpoint MUST generate a connection error of type FRAME_ENCODING_ERROR."
            // No overflow: low >= 0 and gap <= 2^62-1.
            long high = low - gap - 2;
            if (high < 0) {
                throw FrameException.stackless("ACK: gap " + gap + " of range " + i + " goes below packet number 0 (previous smallest " + low + ")");
            }
            if (length > high) {
                throw FrameException.stackless("ACK: ack range length " + length + " of range " + i + " goes below packet number 0 (range largest " + high + ")");
            }
            low = high - length;
            ranges[2 * i] = high;
            ranges[2 * i + 1] = low;
        }
        largest = top;
        ackDelayMicros = delay;
        rangeCount = (int) more + 1;
    }
}
