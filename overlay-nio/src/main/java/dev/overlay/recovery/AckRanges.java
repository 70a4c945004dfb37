package dev.overlay.recovery;

/**
 * Checks an ACK frame's ranges against the packets sent, before anything changes. RFC 9000
 * (13.1): an acknowledgment for a packet the endpoint did not send is a PROTOCOL_VIOLATION.
 */
final class AckRanges {
    private AckRanges() {}

    /**
     * @param ranges pairs (highest, lowest), inclusive, descending, without overlap
     * @throws AckException if a range is malformed, or covers a number above the largest sent or
     *     a number skipped among the packets still held; numbers below the oldest held packet are
     *     forgotten and pass as duplicates
     */
    static void validate(long[] ranges, int rangeCount, SentPacketQueue sent, long largestSent)
            throws AckException {
        if (ranges[0] > largestSent) {
            throw new AckException("ACK of packet " + ranges[0] + " never sent; largest sent is " + largestSent);
        }
        long oldestHeld = sent.size() > 0 ? sent.number(0) : largestSent + 1;
        for (int r = 0; r < rangeCount; r++) {
            long hi = ranges[2 * r];
            long lo = ranges[2 * r + 1];
            if (lo < 0 || hi < lo) {
                throw new AckException("malformed ACK range [" + lo + ", " + hi + "]");
            }
            if (r > 0 && hi >= ranges[2 * r - 1]) {
                throw new AckException("ACK ranges not descending or overlapping at range " + r);
            }
            long from = Math.max(lo, oldestHeld);
            if (hi >= from && countHeld(sent, from, hi) != hi - from + 1) {
                throw new AckException("ACK range [" + lo + ", " + hi + "] covers a packet number never sent");
            }
        }
    }

    /** Packets held with numbers in [from, to]; numbers are unique and sorted, so O(log n). */
    private static long countHeld(SentPacketQueue sent, long from, long to) {
        return sent.lowerBound(to + 1) - sent.lowerBound(from);
    }
}
