package dev.overlay.wire;

import java.nio.ByteBuffer;

/**
 * Handshake initiation (type 1), the first Noise IK message.
 *
 * <pre>
 *   0  type = 1, reserved (3 bytes, zero)
 *   4  sender index      u32, chosen by the initiator; the responder echoes it as receiver index
 *   8  noise message 1   e (32) | encrypted s (32 + 16) | encrypted payload (12 + 16) = 108 bytes
 *                        payload = TAI64N timestamp (12 bytes), the anti-replay for initiations
 * 116  mac1              16 bytes, see {@link Mac1}
 * 132  mac2              16 bytes, zero (reserved for cookies)
 * 148  end
 * </pre>
 */
public final class Initiation {
    public static final int SENDER_INDEX = 4;
    public static final int NOISE = 8;
    public static final int PAYLOAD_LENGTH = Tai64n.LENGTH;
    /** Noise IK message 1 with a 12-byte payload: 32 + 48 + 12 + 16. */
    public static final int NOISE_LENGTH = 32 + 48 + PAYLOAD_LENGTH + 16;
    public static final int MAC1 = NOISE + NOISE_LENGTH;
    public static final int MAC2 = MAC1 + Mac1.LENGTH;
    public static final int LENGTH = MAC2 + Mac1.LENGTH;

    private Initiation() {}

    /** An initiation has exactly one length. */
    public static boolean check(int len) {
        return len == LENGTH;
    }

    public static int senderIndex(ByteBuffer buf) {
        return buf.getInt(SENDER_INDEX);
    }

    public static void writeHeader(ByteBuffer buf, int senderIndex) {
        MessageType.write(buf, MessageType.INITIATION);
        buf.putInt(SENDER_INDEX, senderIndex);
    }
}
