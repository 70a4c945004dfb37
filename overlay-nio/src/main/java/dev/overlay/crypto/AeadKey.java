package dev.overlay.crypto;

import static dev.overlay.crypto.NoiseConstants.KEY_LENGTH;
import static dev.overlay.crypto.NoiseConstants.NONCE_LENGTH;
import static dev.overlay.crypto.NoiseConstants.RESERVED_NONCE;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One direction of a transport session: AES-256-GCM with an explicit 64-bit packet counter, sealing
 * and opening in place in a {@link ByteBuffer} (heap or direct).
 *
 * <p>The nonce is Noise's AESGCM nonce (Noise 12.4: "32 bits of zeros followed by big-endian
 * encoding of n") with n = the counter, and the associated data is empty (Noise 5: transport
 * messages use "zero-length associated data"), so a packet sealed with counter c is byte for byte
 * what a Noise {@code CipherState} with {@code n = c} would produce. Unlike a CipherState, the
 * counter is explicit, WireGuard-style, so packets may be lost or reordered; the caller does
 * replay protection and never reuses a counter for sealing.
 *
 * <p>Buffer indices are absolute (like {@link ByteBuffer#get(int)}) and are checked against the
 * buffer's capacity; the buffer's position, limit and mark are neither read nor changed.
 *
 * <p>How "in place" is done, and why: heap buffers are processed directly in their backing array.
 * Direct buffers are copied into a reused heap scratch array, processed there and copied back
 * (through a cached duplicate of the last buffer seen, so the caller's limit does not interfere).
 * JDK 17's {@code Cipher.doFinal(ByteBuffer, ByteBuffer)} does work in place on direct buffers,
 * but it stages through fresh heap arrays internally: measured 1400-byte packets cost ~745 ns and
 * ~3.0 KB of garbage that way, against ~580 ns and ~0.9 KB with our two copies. The remaining
 * ~0.9 KB per packet is allocated inside the JDK's {@code Cipher.init} for GCM (IV copy, GHASH
 * tables) and cannot be avoided through the {@code Cipher} API. The scratch array grows to the
 * largest direct-buffer packet seen (typically one MTU). A failed {@link #open} leaves the region
 * untouched: for direct buffers by construction, for heap buffers because the JDK 17 GCM
 * implementation checks the tag before writing plaintext (covered by a test, not a promise).
 *
 * <p>Not thread-safe: owned by one event-loop thread. One JDK {@link Cipher} per instance,
 * re-initialised per packet; the JDK refuses to re-initialise GCM encryption with the key and IV
 * it just used, which with unique counters cannot happen, and is reported as {@link
 * IllegalStateException}.
 */
public final class AeadKey {
    /** Noise 12.4: "a 128-bit tag appended to the ciphertext". */
    public static final int TAG_LENGTH = NoiseConstants.TAG_LENGTH;

    private static final int TAG_BITS = TAG_LENGTH * 8;

    /** First size of the direct-buffer scratch array: one Ethernet MTU plus tag (tuning constant). */
    private static final int INITIAL_SCRATCH = 1500 + TAG_LENGTH;

    private SecretKeySpec key;
    private Cipher cipher;
    /** Bytes 0..3 stay zero; 4..11 get the counter (Noise 12.4). */
    private final byte[] nonce = new byte[NONCE_LENGTH];
    private byte[] scratch;
    private ByteBuffer viewOf;
    private ByteBuffer view;
    private boolean destroyed;

    /** Wraps a 32-byte AES-256 key (copied; the caller should wipe its array). */
    public AeadKey(byte[] key32) {
        if (key32 == null || key32.length != KEY_LENGTH) {
            throw new IllegalArgumentException("AES-256 key must be " + KEY_LENGTH + " bytes");
        }
        this.key = new SecretKeySpec(key32, "AES");
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks AES/GCM/NoPadding", e);
        }
    }

    /**
     * Encrypts {@code buf[offset..offset+length)} in place and writes the 16-byte tag right after
     * it, at {@code buf[offset+length..offset+length+16)}, which the caller has reserved.
     *
     * @param counter the packet counter (an unsigned 64-bit value, never reused with this key;
     *     2^64-1, i.e. -1L, is reserved by Noise 5.1 and refused)
     * @return {@code length + 16}
     * @throws IllegalStateException if destroyed, or the counter repeats the previous one
     */
    public int seal(long counter, ByteBuffer buf, int offset, int length) {
        checkAlive();
        Objects.checkFromIndexSize(offset, length, Integer.MAX_VALUE - TAG_LENGTH);
        checkRegion(buf, offset, length + TAG_LENGTH);
        if (counter == RESERVED_NONCE) {
            throw new IllegalArgumentException("counter 2^64-1 is reserved (Noise 5.1)");
        }
        try {
            init(Cipher.ENCRYPT_MODE, counter);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("counter " + Long.toUnsignedString(counter)
                    + " used twice in a row for sealing with the same key", e);
        }
        try {
            if (buf.hasArray()) {
                int at = buf.arrayOffset() + offset;
                return cipher.doFinal(buf.array(), at, length, buf.array(), at);
            }
            ByteBuffer all = fullView(buf);
            byte[] work = scratch(length + TAG_LENGTH);
            all.get(offset, work, 0, length);
            int sealed = cipher.doFinal(work, 0, length, work, 0);
            all.put(offset, work, 0, sealed);
            return sealed;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    /**
     * Verifies and decrypts {@code buf[offset..offset+length)} (ciphertext then 16-byte tag) in
     * place: the plaintext ends up at {@code buf[offset..offset+length-16)}. On failure the region
     * holds no usable plaintext and must be discarded.
     *
     * @param counter the packet counter the sender used
     * @return the plaintext length, {@code length - 16}
     * @throws NoiseException if {@code length < 16}, the counter is the reserved 2^64-1, or the tag
     *     does not verify (wrong key, wrong counter, or modified bytes)
     * @throws IllegalStateException if destroyed
     */
    public int open(long counter, ByteBuffer buf, int offset, int length) throws NoiseException {
        checkAlive();
        if (length < TAG_LENGTH) {
            throw NoiseException.stackless("transport packet shorter than the 16-byte tag");
        }
        checkRegion(buf, offset, length);
        if (counter == RESERVED_NONCE) {
            throw NoiseException.stackless("counter 2^64-1 is reserved (Noise 5.1)");
        }
        try {
            init(Cipher.DECRYPT_MODE, counter);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("AES-GCM decryption init failed", e);
        }
        try {
            if (buf.hasArray()) {
                int at = buf.arrayOffset() + offset;
                return cipher.doFinal(buf.array(), at, length, buf.array(), at);
            }
            ByteBuffer all = fullView(buf);
            byte[] work = scratch(length);
            all.get(offset, work, 0, length);
            int opened = cipher.doFinal(work, 0, length, work, 0);
            all.put(offset, work, 0, opened);
            return opened;
        } catch (AEADBadTagException e) {
            throw NoiseException.stackless("transport packet failed authentication");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed", e);
        }
    }

    /**
     * Best-effort destruction: drops the key and cipher and wipes the scratch array; later calls
     * throw {@link IllegalStateException}. The JDK's internal copies of the key cannot be wiped
     * from here.
     */
    public void destroy() {
        destroyed = true;
        key = null;
        cipher = null;
        viewOf = null;
        view = null;
        if (scratch != null) {
            Arrays.fill(scratch, (byte) 0);
            scratch = null;
        }
    }

    private void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException("AeadKey used after destroy()");
        }
    }

    private static void checkRegion(ByteBuffer buf, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buf.capacity());
        if (buf.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
    }

    private void init(int mode, long counter) throws InvalidAlgorithmParameterException {
        NoiseConstants.writeAesGcmNonce(counter, nonce);
        try {
            cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("AES-256 key rejected by the JDK", e);
        }
    }

    /**
     * A view of {@code buf} with limit = capacity, so absolute bulk get/put can reach the whole
     * buffer without touching the caller's limit. Cached for the last buffer seen: no allocation
     * while the same buffer is reused.
     */
    private ByteBuffer fullView(ByteBuffer buf) {
        if (buf != viewOf) {
            view = buf.duplicate();
            viewOf = buf;
        }
        return view.clear();
    }

    /** The scratch array for direct buffers, grown (rarely) to at least {@code size} bytes. */
    private byte[] scratch(int size) {
        if (scratch == null || scratch.length < size) {
            scratch = new byte[Math.max(size, INITIAL_SCRATCH)];
        }
        return scratch;
    }
}
