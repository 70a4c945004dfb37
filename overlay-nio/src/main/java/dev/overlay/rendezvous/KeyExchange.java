package dev.overlay.rendezvous;

import dev.overlay.crypto.X25519;
import dev.overlay.identity.NodeId;
import dev.overlay.wire.MessageType;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The cleartext key discovery pair, for a rendezvous given as {@code HOST:PORT} without a key.
 *
 * <pre>
 * KEY_REQUEST   type 5 | 3 zero bytes | 60 zero bytes           64 bytes
 * KEY_RESPONSE  type 6 | 3 zero bytes | server public key (32)  36 bytes
 * </pre>
 *
 * <p>The answer is smaller than the question, so a forged source address cannot turn the server
 * into an amplifier. Writers put the datagram at the buffer's position and advance it. Readers look
 * at a received datagram at {@code buf[0..len)} (as {@link MessageType#of} does), never move the
 * position, and reject anything but the exact length, header and zero padding.
 */
public final class KeyExchange {
    public static final int REQUEST_LENGTH = 64;
    public static final int RESPONSE_LENGTH = MessageType.HEADER_LENGTH + NodeId.KEY_LENGTH;

    /** Any scalar clears the cofactor (X25519 clamps it to a multiple of 8): low-order points give 0. */
    private static final byte[] PROBE_SCALAR = new byte[NodeId.KEY_LENGTH];

    static {
        PROBE_SCALAR[0] = 0x48;
        PROBE_SCALAR[31] = 0x40;
    }

    private KeyExchange() {}

    /** Writes a 64-byte KEY_REQUEST at the position. */
    public static void writeRequest(ByteBuffer b) {
        b.put(MessageType.KEY_REQUEST).put(new byte[REQUEST_LENGTH - 1]);
    }

    /** Whether {@code buf[0..len)} is a well-formed KEY_REQUEST. */
    public static boolean isRequest(ByteBuffer buf, int len) {
        if (len != REQUEST_LENGTH || buf.limit() < len || MessageType.of(buf, len) != MessageType.KEY_REQUEST) {
            return false;
        }
        for (int i = MessageType.HEADER_LENGTH; i < REQUEST_LENGTH; i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes a 36-byte KEY_RESPONSE carrying {@code key} at the position. */
    public static void writeResponse(ByteBuffer b, NodeId key) {
        Objects.requireNonNull(key, "key");
        byte[] k = new byte[NodeId.KEY_LENGTH];
        key.copyKey(k, 0);
        b.put(MessageType.KEY_RESPONSE).put((byte) 0).put((byte) 0).put((byte) 0).put(k);
    }

    /**
     * The key in the KEY_RESPONSE at {@code buf[0..len)}, or null if it is not one or the key is a
     * low-order point (no handshake with it could succeed).
     */
    public static NodeId readResponse(ByteBuffer buf, int len) {
        if (len != RESPONSE_LENGTH || buf.limit() < len || MessageType.of(buf, len) != MessageType.KEY_RESPONSE) {
            return null;
        }
        byte[] k = new byte[NodeId.KEY_LENGTH];
        buf.get(MessageType.HEADER_LENGTH, k);
        return isLowOrder(k) ? null : NodeId.of(k);
    }

    static boolean isLowOrder(byte[] publicKey) {
        return !X25519.agree(PROBE_SCALAR, publicKey, new byte[NodeId.KEY_LENGTH], 0);
    }
}
