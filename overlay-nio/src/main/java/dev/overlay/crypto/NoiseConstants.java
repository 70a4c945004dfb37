package dev.overlay.crypto;

import java.nio.charset.StandardCharsets;

/** Constants fixed by the Noise specification (revision 34) for {@code Noise_IK_25519_AESGCM_SHA256}. */
final class NoiseConstants {
    /** Noise 8: the protocol name, 28 ASCII bytes, so it is zero-padded rather than hashed (Noise 5.2). */
    static final byte[] PROTOCOL_NAME =
            "Noise_IK_25519_AESGCM_SHA256".getBytes(StandardCharsets.US_ASCII);

    /** Noise 12.1: DHLEN = 32 for the 25519 DH functions (public keys and DH outputs). */
    static final int DHLEN = X25519.KEY_LENGTH;

    /** Noise 12.5: HASHLEN = 32 for SHA256. */
    static final int HASHLEN = 32;

    /** Noise 4.2: cipher keys are 32 bytes. */
    static final int KEY_LENGTH = 32;

    /** Noise 4.2 / 12.4: AESGCM appends a 128-bit tag to every ciphertext. */
    static final int TAG_LENGTH = 16;

    /** Noise 12.4: the AESGCM nonce is 96 bits. */
    static final int NONCE_LENGTH = 12;

    /** Noise 3: "All Noise messages are less than or equal to 65535 bytes in length." */
    static final int MAX_MESSAGE_LENGTH = 65535;

    /** Noise 5.1: "The maximum n value (2^64-1) is reserved for other use." As a signed long: -1. */
    static final long RESERVED_NONCE = -1L;

    private NoiseConstants() {}

    /**
     * Noise 12.4: "The 96-bit nonce is formed by encoding 32 bits of zeros followed by big-endian
     * encoding of n." Writes that into {@code nonce}, a 12-byte array whose first 4 bytes are
     * already zero and are never written.
     */
    static void writeAesGcmNonce(long n, byte[] nonce) {
        for (int i = 0; i < 8; i++) {
            nonce[NONCE_LENGTH - 1 - i] = (byte) (n >>> (8 * i));
        }
    }
}
