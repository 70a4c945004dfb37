package dev.overlay.wire;

import java.nio.ByteBuffer;

/**
 * Transport data (type 4): one AEAD-sealed payload.
 *
 * <pre>
 *   0  type = 4, reserved (3 bytes, zero)
 *   4  receiver index    u32, chosen by the receiving side during the handshake
 *   8  counter           u64, the AES-GCM nonce (Noise: 4 zero bytes || counter, big-endian)
 *  16  ciphertext        payload length + 16-byte GCM tag; an empty payload is a keepalive
 * </pre>
 *
 * <p>Sessions are found by receiver index, never by source address: that is what makes roaming
 * and NAT rebinding free. The counter is authenticated through the nonce.
 */
public final class Transport {
    public static final int RECEIVER_INDEX = 4;
    public static final int COUNTER = 8;
    public static final int HEADER_LENGTH = 16;
    public static final int TAG_LENGTH = 16;
    /** A keepalive: header and the tag over an empty payload. */
    public static final int MIN_LENGTH = HEADER_LENGTH + TAG_LENGTH;

    private Transport() {}

    public static boolean check(int len) {
        return len >= MIN_LENGTH;
    }

    public static int receiverIndex(ByteBuffer buf) {
        return buf.getInt(RECEIVER_INDEX);
    }

    public static long counter(ByteBuffer buf) {
        return buf.getLong(COUNTER);
    }

    public static void writeHeader(ByteBuffer buf, int receiverIndex, long counter) {
        MessageType.write(buf, MessageType.TRANSPORT);
        buf.putInt(RECEIVER_INDEX, receiverIndex);
        buf.putLong(COUNTER, counter);
    }
}
