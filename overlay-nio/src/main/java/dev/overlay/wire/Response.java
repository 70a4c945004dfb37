package dev.overlay.wire;

import java.nio.ByteBuffer;

/**
 * Handshake response (type 2), the second Noise IK message.
 *
 * <pre>
 *   0  type = 2, reserved (3 bytes, zero)
 *   4  sender index      u32, chosen by the responder; the initiator puts it in every transport packet
 *   8  receiver index    u32, the initiator's sender index from the initiation
 *  12  noise message 2   e (32) | encrypted empty payload (16) = 48 bytes
 *  60  mac1              16 bytes, keyed with the initiator's static key
 *  76  mac2              16 bytes, zero (reserved for cookies)
 *  92  end
 * </pre>
 */
public final class Response {
    public static final int SENDER_INDEX = 4;
    public static final int RECEIVER_INDEX = 8;
    public static final int NOISE = 12;
    public static final int NOISE_LENGTH = 32 + 16;
    public static final int MAC1 = NOISE + NOISE_LENGTH;
    public static final int MAC2 = MAC1 + Mac1.LENGTH;
    public static final int LENGTH = MAC2 + Mac1.LENGTH;

    private Response() {}

    public static boolean check(int len) {
        return len == LENGTH;
    }

    public static int senderIndex(ByteBuffer buf) {
        return buf.getInt(SENDER_INDEX);
    }

    public static int receiverIndex(ByteBuffer buf) {
        return buf.getInt(RECEIVER_INDEX);
    }

    public static void writeHeader(ByteBuffer buf, int senderIndex, int receiverIndex) {
        MessageType.write(buf, MessageType.RESPONSE);
        buf.putInt(SENDER_INDEX, senderIndex);
        buf.putInt(RECEIVER_INDEX, receiverIndex);
    }
}
