package dev.overlay.crypto;

import static dev.overlay.crypto.NoiseConstants.HASHLEN;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Noise 5.2 {@code SymmetricState}: the chaining key {@code ck}, the handshake hash {@code h} and
 * a {@link CipherState}, with SHA-256 as HASH and HMAC-SHA256 in HKDF (Noise 4.3, 12.5).
 *
 * <p>MixKeyAndHash is omitted: it only serves PSK modifiers (Noise 9), which IK here does not use.
 * Not thread-safe.
 */
final class SymmetricState {
    private static final byte[] ZEROLEN = new byte[0];

    private final MessageDigest sha256;
    private final Mac hmac;
    private final CipherState cipherState = new CipherState();
    private final byte[] ck = new byte[HASHLEN];
    private final byte[] h = new byte[HASHLEN];

    /**
     * Noise 5.2: InitializeSymmetric(protocol_name). "If protocol_name is less than or equal to
     * HASHLEN bytes in length, sets h equal to protocol_name with zero bytes appended to make
     * HASHLEN bytes. Otherwise sets h = HASH(protocol_name). Sets ck = h. Calls
     * InitializeKey(empty)."
     */
    SymmetricState(byte[] protocolName) {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
            hmac = Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks SHA-256 or HmacSHA256", e);
        }
        if (protocolName.length <= HASHLEN) {
            System.arraycopy(protocolName, 0, h, 0, protocolName.length);
        } else {
            sha256.update(protocolName);
            System.arraycopy(sha256.digest(), 0, h, 0, HASHLEN);
        }
        System.arraycopy(h, 0, ck, 0, HASHLEN);
        // The CipherState starts with k empty: nothing to do.
    }

    /** The whole state (ck, h, k, n), to undo a message that failed to authenticate. */
    record Snapshot(byte[] ck, byte[] h, CipherState.Snapshot cipher) {}

    Snapshot snapshot() {
        return new Snapshot(ck.clone(), h.clone(), cipherState.snapshot());
    }

    void restore(Snapshot s) {
        System.arraycopy(s.ck(), 0, ck, 0, HASHLEN);
        System.arraycopy(s.h(), 0, h, 0, HASHLEN);
        cipherState.restore(s.cipher());
        java.util.Arrays.fill(s.ck(), (byte) 0);
    }

    /** Noise 5.2: MixHash(data): sets h = HASH(h || data). */
    void mixHash(byte[] data, int off, int len) {
        hashInto(data, off, len, h);
    }

    /**
     * Noise 5.2: MixKey(input_key_material): "Sets ck, temp_k = HKDF(ck, input_key_material, 2)
     * ... Calls InitializeKey(temp_k)." (HASHLEN is 32, so no truncation.)
     */
    void mixKey(byte[] inputKeyMaterial) {
        byte[] tempK = new byte[HASHLEN];
        hkdf2(inputKeyMaterial, ck, tempK);
        cipherState.initializeKey(tempK);
        Arrays.fill(tempK, (byte) 0);
    }

    /**
     * Noise 5.2: EncryptAndHash(plaintext): "Sets ciphertext = EncryptWithAd(h, plaintext), calls
     * MixHash(ciphertext), and returns ciphertext." {@code in} and {@code out} must not overlap.
     *
     * @return bytes written to {@code out}
     */
    int encryptAndHash(byte[] in, int inOff, int len, byte[] out, int outOff) {
        int written = cipherState.encryptWithAd(h, in, inOff, len, out, outOff);
        mixHash(out, outOff, written);
        return written;
    }

    /**
     * Noise 5.2: DecryptAndHash(ciphertext): "Sets plaintext = DecryptWithAd(h, ciphertext), calls
     * MixHash(ciphertext), and returns plaintext." The new h is computed before decrypting, so
     * {@code out} may overlap {@code in}; h only changes if decryption succeeds.
     *
     * @return bytes written to {@code out}
     * @throws NoiseException if authentication fails
     */
    int decryptAndHash(byte[] in, int inOff, int len, byte[] out, int outOff)
            throws NoiseException {
        byte[] nextH = new byte[HASHLEN];
        hashInto(in, inOff, len, nextH);
        int written = cipherState.decryptWithAd(h, in, inOff, len, out, outOff);
        System.arraycopy(nextH, 0, h, 0, HASHLEN);
        return written;
    }

    /**
     * Noise 5.2: Split(): "Sets temp_k1, temp_k2 = HKDF(ck, zerolen, 2)". Returns the two raw keys
     * {k1 (initiator to responder), k2 (responder to initiator)}; the caller owns and wipes them.
     */
    byte[][] split() {
        byte[] k1 = new byte[HASHLEN];
        byte[] k2 = new byte[HASHLEN];
        hkdf2(ZEROLEN, k1, k2);
        return new byte[][] {k1, k2};
    }

    /** Noise 5.2: GetHandshakeHash(): a copy of h. */
    byte[] handshakeHash() {
        return h.clone();
    }

    /** Zeroes ck and the handshake cipher key. h is kept: it is public (channel binding). */
    void destroy() {
        Arrays.fill(ck, (byte) 0);
        cipherState.destroy();
    }

    /**
     * Noise 4.3: HKDF(chaining_key, input_key_material, 2), reading the chaining key from ck.
     * "Sets temp_key = HMAC-HASH(chaining_key, input_key_material). Sets output1 =
     * HMAC-HASH(temp_key, byte(0x01)). Sets output2 = HMAC-HASH(temp_key, output1 || byte(0x02))."
     * {@code output1} may be {@code ck} itself.
     */
    private void hkdf2(byte[] inputKeyMaterial, byte[] output1, byte[] output2) {
        byte[] tempKey = new byte[HASHLEN];
        try {
            hmac.init(new SecretKeySpec(ck, "HmacSHA256"));
            hmac.update(inputKeyMaterial);
            hmac.doFinal(tempKey, 0);

            hmac.init(new SecretKeySpec(tempKey, "HmacSHA256"));
            hmac.update((byte) 0x01);
            hmac.doFinal(output1, 0);

            hmac.update(output1); // the Mac keeps temp_key after doFinal
            hmac.update((byte) 0x02);
            hmac.doFinal(output2, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 failed", e);
        } finally {
            Arrays.fill(tempKey, (byte) 0);
        }
    }

    /** HASH(h || data) into {@code dest} (which may be h). */
    private void hashInto(byte[] data, int off, int len, byte[] dest) {
        sha256.update(h);
        sha256.update(data, off, len);
        try {
            sha256.digest(dest, 0, HASHLEN);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 failed", e);
        }
    }
}
