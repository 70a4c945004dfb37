package dev.overlay.wire;

import java.nio.ByteBuffer;

/**
 * The first byte of every non-empty transport payload says which layer it belongs to.
 *
 * <pre>
 *   0x01 PING   kind | seq u32 | origin time u64   (13 bytes) — echoed back as PONG
 *   0x02 PONG   kind | seq u32 | origin time u64   (13 bytes)
 *   0x03 PATH_CHALLENGE  kind | 8 random bytes        (9 bytes), sent direct to an address to test it
 *   0x04 PATH_RESPONSE   kind | the challenge's bytes  (9 bytes), sent back to where it came from
 *   0x05 CANDIDATES      node to node: the sender's direct addresses (dev.overlay.rendezvous.Messages)
 *   0x06 REGISTER        node to rendezvous
 *   0x07 REGISTERED      rendezvous to node
 *   0x08 LOOKUP          node to rendezvous
 *   0x09 LOOKUP_RESULT   rendezvous to node
 *   0x0a RELAY           node to rendezvous: a sealed datagram for another node
 *   0x0b RELAYED         rendezvous to node: a sealed datagram from another node
 *   0x0c RELAY_FAILED    rendezvous to node: the destination is not registered here
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
    public static final byte PATH_CHALLENGE = 0x03;
    public static final byte PATH_RESPONSE = 0x04;
    public static final int PATH_PROBE_LENGTH = 9;
    public static final byte CANDIDATES = 0x05;
    public static final byte REGISTER = 0x06;
    public static final byte REGISTERED = 0x07;
    public static final byte LOOKUP = 0x08;
    public static final byte LOOKUP_RESULT = 0x09;
    public static final byte RELAY = 0x0a;
    public static final byte RELAYED = 0x0b;
    public static final byte RELAY_FAILED = 0x0c;

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
