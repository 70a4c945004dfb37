package dev.overlay.wire;

import java.nio.ByteBuffer;

/**
 * The first byte of every non-empty transport payload says which layer it belongs to.
 *
 * <pre>
 *   0x01 PING   kind | seq u32 | origin time u64   (13 bytes) — echoed back as PONG
 *   0x02 PONG   kind | seq u32 | origin time u64   (13 bytes)
 *   0x10..0xff  reserved for the stream layer
 * </pre>
 *
 * <p>An empty payload is a keepalive and reaches no layer. The origin time is the pinger's own
 * clock, opaque to the responder, so RTTs need no clock agreement.
 */
public final class Control {
    public static final byte PING = 0x01;
    public static final byte PONG = 0x02;
    public static final int PING_LENGTH = 13;

    private Control() {}

    public static void writePing(ByteBuffer buf, byte kind, int seq, long originNanos) {
        buf.put(kind).putInt(seq).putLong(originNanos);
    }

    /** True when {@code payload} (position..limit) is a well-formed PING or PONG. */
    public static boolean isPingOrPong(ByteBuffer payload) {
        if (payload.remaining() != PING_LENGTH) {
            return false;
        }
        byte kind = payload.get(payload.position());
        return kind == PING || kind == PONG;
    }
}
