package dev.overlay.crypto;

import java.util.Arrays;

/**
 * The two transport keys produced by {@link NoiseIK#split()}, seen from the local side: the
 * initiator sends with Noise's k1 and receives with k2, the responder the other way round
 * (Noise 5.3: "the first for encrypting transport messages from initiator to responder, and the
 * second for messages in the other direction").
 *
 * <p>The arrays are owned by the holder, not copied: build the two {@link AeadKey}s, then call
 * {@link #destroy()}. {@link #toString()} never prints key bytes.
 *
 * @param sendKey 32-byte AES-256 key for packets this side sends
 * @param receiveKey 32-byte AES-256 key for packets this side receives
 */
public record SessionKeys(byte[] sendKey, byte[] receiveKey) {
    /** Checks both keys are 32 bytes. */
    public SessionKeys {
        checkKey(sendKey, "sendKey");
        checkKey(receiveKey, "receiveKey");
    }

    /** Zeroes both key arrays in place. */
    public void destroy() {
        Arrays.fill(sendKey, (byte) 0);
        Arrays.fill(receiveKey, (byte) 0);
    }

    @Override
    public String toString() {
        return "SessionKeys[redacted]";
    }

    private static void checkKey(byte[] key, String name) {
        if (key == null || key.length != NoiseConstants.KEY_LENGTH) {
            throw new IllegalArgumentException(name + " must be " + NoiseConstants.KEY_LENGTH + " bytes");
        }
    }
}
