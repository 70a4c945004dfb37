package dev.overlay.crypto;

import static dev.overlay.crypto.NoiseConstants.KEY_LENGTH;
import static dev.overlay.crypto.NoiseConstants.NONCE_LENGTH;
import static dev.overlay.crypto.NoiseConstants.RESERVED_NONCE;
import static dev.overlay.crypto.NoiseConstants.TAG_LENGTH;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Noise 5.1 {@code CipherState}: a key {@code k} (possibly empty) and a 64-bit nonce {@code n},
 * with AESGCM as the cipher (Noise 12.4).
 *
 * <p>Used only inside the handshake, on byte arrays; the transport phase uses {@link AeadKey},
 * which produces the same bytes on ByteBuffers without a per-packet array. Not thread-safe.
 */
final class CipherState {
    private static final int TAG_BITS = TAG_LENGTH * 8;

    /** Noise 5.1: "Empty is a special value which indicates k has not yet been initialized." */
    private byte[] k;

    /** Noise 5.1: an 8-byte unsigned nonce, held in a signed long (compare with the reserved -1). */
    private long n;

    private final byte[] nonce = new byte[NONCE_LENGTH];
    private Cipher cipher;

    /** Noise 5.1: InitializeKey(key): sets k = key (copied) and n = 0. */
    void initializeKey(byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("cipher key must be " + KEY_LENGTH + " bytes");
        }
        destroy();
        k = key.clone();
        n = 0;
    }

    /** A copy of k and n, to undo a failed decryption (see {@link NoiseIK#readMessage}). */
    record Snapshot(byte[] k, long n) {}

    Snapshot snapshot() {
        return new Snapshot(k == null ? null : k.clone(), n);
    }

    void restore(Snapshot s) {
        destroy();
        k = s.k() == null ? null : s.k().clone();
        n = s.n();
    }

    /** Noise 5.1: HasKey(). */
    boolean hasKey() {
        return k != null;
    }

    /**
     * Noise 5.1: EncryptWithAd(ad, plaintext): ENCRYPT(k, n++, ad, plaintext) if k is non-empty,
     * else the plaintext unchanged.
     *
     * @return bytes written to {@code out}: {@code len + 16} with a key, {@code len} without
     */
    int encryptWithAd(byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (k == null) {
            System.arraycopy(in, inOff, out, outOff, len);
            return len;
        }
        checkNonce();
        try {
            init(Cipher.ENCRYPT_MODE, ad);
            int written = cipher.doFinal(in, inOff, len, out, outOff);
            n++;
            return written;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    /**
     * Noise 5.1: DecryptWithAd(ad, ciphertext): DECRYPT(k, n++, ad, ciphertext) if k is
     * non-empty, else the ciphertext unchanged. "If an authentication failure occurs in DECRYPT()
     * then n is not incremented and an error is signaled to the caller."
     *
     * @return bytes written to {@code out}
     * @throws NoiseException if the tag does not verify or the input is shorter than a tag
     */
    int decryptWithAd(byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff)
            throws NoiseException {
        if (k == null) {
            System.arraycopy(in, inOff, out, outOff, len);
            return len;
        }
        if (len < TAG_LENGTH) {
            throw new NoiseException("ciphertext shorter than the " + TAG_LENGTH + "-byte tag");
        }
        checkNonce();
        try {
            init(Cipher.DECRYPT_MODE, ad);
            int written = cipher.doFinal(in, inOff, len, out, outOff);
            n++;
            return written;
        } catch (AEADBadTagException e) {
            throw new NoiseException("handshake ciphertext failed authentication", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed", e);
        }
    }

    /** Zeroes and forgets the key (best effort: the JDK's SecretKeySpec copies cannot be wiped). */
    void destroy() {
        if (k != null) {
            Arrays.fill(k, (byte) 0);
            k = null;
        }
        n = 0;
    }

    private void checkNonce() {
        // Noise 5.1: "If incrementing n results in 2^64-1, then any further EncryptWithAd() or
        // DecryptWithAd() calls will signal an error to the caller."
        if (n == RESERVED_NONCE) {
            throw new IllegalStateException("CipherState nonce exhausted");
        }
    }

    private void init(int mode, byte[] ad) throws GeneralSecurityException {
        if (cipher == null) {
            cipher = Cipher.getInstance("AES/GCM/NoPadding");
        }
        NoiseConstants.writeAesGcmNonce(n, nonce);
        cipher.init(mode, new SecretKeySpec(k, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(ad);
    }
}
