package dev.overlay.wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * mac1: lets a node drop handshake messages not addressed to it before doing any DH work.
 *
 * <pre>
 *   key  = SHA-256("mac1----" || receiver's static public key)
 *   mac1 = first 16 bytes of HMAC-SHA256(key, message bytes before the mac1 field)
 * </pre>
 *
 * <p>WireGuard uses keyed BLAKE2s; we stay inside the suite's SHA-256 so no second hash is needed.
 * mac1 proves only that the sender knows the receiver's public key (which is its address), so it
 * filters stray and scanning traffic, not a determined attacker: that is mac2's job (cookies).
 * One instance per receiver key; not thread-safe.
 */
public final class Mac1 {
    public static final int LENGTH = 16;
    private static final byte[] LABEL = "mac1----".getBytes(StandardCharsets.US_ASCII);

    private final Mac hmac;
    private final byte[] scratch = new byte[32];

    /** A mac1 computer for messages addressed to the node whose public key is {@code receiverKey}. */
    public Mac1(byte[] receiverKey) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(LABEL);
            sha.update(receiverKey);
            hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(sha.digest(), "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256/HmacSHA256 missing from this JDK", e);
        }
    }

    /** Writes mac1 over {@code buf[0..macOffset)} into {@code buf[macOffset..+16)}. */
    public void write(ByteBuffer buf, int macOffset) {
        compute(buf, macOffset);
        buf.put(macOffset, scratch, 0, LENGTH);
    }

    /** True when {@code buf[macOffset..+16)} is the correct mac1 (constant-time compare). */
    public boolean verify(ByteBuffer buf, int macOffset) {
        compute(buf, macOffset);
        byte[] got = new byte[LENGTH];
        buf.get(macOffset, got);
        return MessageDigest.isEqual(Arrays.copyOf(scratch, LENGTH), got);
    }

    private void compute(ByteBuffer buf, int macOffset) {
        ByteBuffer covered = buf.duplicate().position(0).limit(macOffset);
        hmac.update(covered);
        try {
            hmac.doFinal(scratch, 0);
        } catch (javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
