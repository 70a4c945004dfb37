package dev.overlay.wire;

import java.nio.ByteBuffer;

/** The first byte of every datagram, and the 3 reserved bytes after it. */
public final class MessageType {
    public static final byte INITIATION = 1;
    public static final byte RESPONSE = 2;
    /** Reserved for cookie replies (WireGuard's mac2 defence under load); never sent yet. */
    public static final byte COOKIE_REPLY = 3;
    public static final byte TRANSPORT = 4;
    /**
     * Cleartext: "which key do you have?", sent to a rendezvous given only as HOST:PORT. Padded to
     * {@code KeyExchange.REQUEST_LENGTH} so the answer is never larger than the question.
     */
    public static final byte KEY_REQUEST = 5;
    /** Cleartext answer to {@link #KEY_REQUEST}: the rendezvous' static public key. */
    public static final byte KEY_RESPONSE = 6;

    /** Type byte plus 3 reserved zero bytes. */
    public static final int HEADER_LENGTH = 4;

    private MessageType() {}

    /**
     * The message type of the datagram at {@code buf[0..len)}, or -1 if it is shorter than the
     * header or its reserved bytes are not zero (a future version or garbage: dropped either way).
     */
    public static int of(ByteBuffer buf, int len) {
        if (len < HEADER_LENGTH) {
            return -1;
        }
        int word = buf.getInt(0);
        if ((word & 0x00ffffff) != 0) {
            return -1;
        }
        return word >>> 24;
    }

    /** Writes the 4-byte header for {@code type} at index 0. */
    public static void write(ByteBuffer buf, byte type) {
        buf.putInt(0, (type & 0xff) << 24);
    }
}
