package dev.overlay.wire;

/**
 * TAI64N timestamps (12 bytes: 8 bytes of seconds + 2^62, 4 bytes of nanoseconds, big-endian),
 * the payload of an initiation. The responder keeps the greatest one it accepted per peer and drops
 * any initiation that is not newer, so a captured initiation cannot be replayed.
 */
public final class Tai64n {
    public static final int LENGTH = 12;
    private static final long TAI64_BASE = 1L << 62;

    private Tai64n() {}

    /** Encodes {@code epochNanos} (nanoseconds since 1970, UTC) into {@code out[off..off+12)}. */
    public static void write(long epochNanos, byte[] out, int off) {
        long seconds = Math.floorDiv(epochNanos, 1_000_000_000L) + TAI64_BASE;
        int nanos = (int) Math.floorMod(epochNanos, 1_000_000_000L);
        for (int i = 0; i < 8; i++) {
            out[off + i] = (byte) (seconds >>> (56 - 8 * i));
        }
        for (int i = 0; i < 4; i++) {
            out[off + 8 + i] = (byte) (nanos >>> (24 - 8 * i));
        }
    }

    /** Unsigned lexicographic comparison of two timestamps; later is greater. */
    public static int compare(byte[] a, int aOff, byte[] b, int bOff) {
        return java.util.Arrays.compareUnsigned(a, aOff, aOff + LENGTH, b, bOff, bOff + LENGTH);
    }
}
