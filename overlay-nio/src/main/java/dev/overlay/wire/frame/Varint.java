package dev.overlay.wire.frame;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;

/**
 * QUIC variable-length integers, RFC 9000 (16): "The QUIC variable-length integer encoding
 * reserves the two most significant bits of the first byte to encode the base-2 logarithm of the
 * integer encoding length in bytes. The integer value is encoded on the remaining bits, in network
 * byte order."
 *
 * <pre>
 *   prefix 00  1 byte   6 bits  0 .. 63
 *   prefix 01  2 bytes 14 bits  0 .. 16383
 *   prefix 10  4 bytes 30 bits  0 .. 2^30-1
 *   prefix 11  8 bytes 62 bits  0 .. 2^62-1
 * </pre>
 *
 * <p>Writes are always minimal; reads accept any length, since RFC 9000 (16): "Values do not need
 * to be encoded on the minimum number of bytes necessary". Bytes are read and written one at a
 * time, so the buffer's {@link ByteBuffer#order() byte order} does not matter.
 */
public final class Varint {
    /** The largest encodable value, 2^62-1. */
    public static final long MAX = (1L << 62) - 1;

    private static final long MAX_1 = (1L << 6) - 1;
    private static final long MAX_2 = (1L << 14) - 1;
    private static final long MAX_4 = (1L << 30) - 1;

    private Varint() {}

    /** The minimal encoded length of {@code v}: 1, 2, 4 or 8 bytes. */
    public static int length(long v) {
        if (v < 0 || v > MAX) {
            throw new IllegalArgumentException("varint out of range 0..2^62-1: " + v);
        }
        if (v <= MAX_1) {
            return 1;
        }
        if (v <= MAX_2) {
            return 2;
        }
        return v <= MAX_4 ? 4 : 8;
    }

    /**
     * Writes {@code v} minimally at the buffer's position and advances it (relative puts). Throws
     * {@link BufferOverflowException} before writing anything if it does not fit.
     */
    public static void write(ByteBuffer b, long v) {
        int len = length(v);
        if (b.remaining() < len) {
            throw new BufferOverflowException();
        }
        long prefix = (long) Integer.numberOfTrailingZeros(len) << 6; // 1,2,4,8 -> 0,1,2,3
        b.put((byte) (prefix | (v >>> ((len - 1) * 8))));
        for (int shift = (len - 2) * 8; shift >= 0; shift -= 8) {
            b.put((byte) (v >>> shift));
        }
    }

    /**
     * Reads a varint at the buffer's position and advances past it. If the buffer ends inside the
     * varint, throws and leaves the position unchanged.
     */
    public static long read(ByteBuffer b) throws FrameException {
        int p = b.position();
        int left = b.limit() - p;
        if (left < 1 || left < encodedLength(b.get(p))) {
            throw FrameException.stackless("varint: truncated (" + left + " bytes left)");
        }
        int len = encodedLength(b.get(p));
        long v = get(b, p, len);
        b.position(p + len);
        return v;
    }

    /** The encoded length announced by the first byte of a varint. */
    static int encodedLength(byte first) {
        return 1 << ((first & 0xff) >>> 6);
    }

    /** Decodes the {@code len}-byte varint at {@code b[index]}; the caller checked the bounds. */
    static long get(ByteBuffer b, int index, int len) {
        long v = b.get(index) & 0x3f;
        for (int i = 1; i < len; i++) {
            v = (v << 8) | (b.get(index + i) & 0xff);
        }
        return v;
    }
}
