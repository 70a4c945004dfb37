package dev.overlay.crypto;

import static dev.overlay.crypto.NoiseConstants.DHLEN;
import static dev.overlay.crypto.NoiseConstants.MAX_MESSAGE_LENGTH;
import static dev.overlay.crypto.NoiseConstants.TAG_LENGTH;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * Noise 5.3 {@code HandshakeState} for exactly one protocol, {@code Noise_IK_25519_AESGCM_SHA256}
 * (Noise 7.5):
 *
 * <pre>
 * IK:
 *   &lt;- s
 *   ...
 *   -&gt; e, es, s, ss
 *   &lt;- e, ee, se
 * </pre>
 *
 * <p>The initiator knows the responder's static key in advance and sends its own, encrypted, in
 * message 1; after message 2 both sides {@link #split()} into transport keys for {@link AeadKey}.
 * The tokens are hard-coded rather than interpreted, so each step reads as the spec line it
 * implements.
 *
 * <p>Every call is checked against the {@link State}: a call in the wrong state is a bug and
 * throws {@link IllegalStateException}. Anything wrong with a received message (length, tag,
 * low-order key) throws {@link NoiseException}, after which the object is {@link State#FAILED}
 * and its secrets are wiped (Noise 5: "If any error is signaled by the DECRYPT() or DH() functions
 * then the handshake has failed and the HandshakeState is deleted"). Not thread-safe.
 */
public final class NoiseIK {
    /** Message 1 bytes besides the payload: e, then s encrypted (DHLEN + tag), then the payload tag. */
    private static final int MESSAGE1_OVERHEAD = DHLEN + (DHLEN + TAG_LENGTH) + TAG_LENGTH;

    /** Message 2 bytes besides the payload: e, then the payload tag. */
    private static final int MESSAGE2_OVERHEAD = DHLEN + TAG_LENGTH;

    /** Where a handshake stands; each value names the one call it allows next. */
    public enum State {
        /** Initiator, before writing message 1. */
        INITIATOR_WRITE_1,
        /** Initiator, waiting to read message 2. */
        INITIATOR_READ_2,
        /** Responder, waiting to read message 1. */
        RESPONDER_READ_1,
        /** Responder, before writing message 2. */
        RESPONDER_WRITE_2,
        /** Both messages done; {@link #split()} not yet called. */
        COMPLETE,
        /** Keys handed out by {@link #split()}; secrets wiped; only the hash and rs remain. */
        SPLIT,
        /** A message was rejected or processing failed; secrets wiped; nothing is allowed. */
        FAILED
    }

    private final boolean initiator;
    private final SecureRandom random;
    private final SymmetricState symmetric;
    /** Noise 5.3 s: our static private key (our own copy, wiped at the end). */
    private final byte[] s;
    private final byte[] sPublic;
    /** Noise 5.3 e: our ephemeral private key; null until generated (or fixed for tests). */
    private byte[] e;
    /** Noise 5.3 rs: the remote static public key (initiator: given; responder: from message 1). */
    private byte[] rs;
    /** Noise 5.3 re: the remote ephemeral public key. */
    private byte[] re;
    /** Scratch for DH outputs, zeroed after each use. */
    private final byte[] dh = new byte[DHLEN];
    private byte[] handshakeHash;
    private State state;

    private NoiseIK(boolean initiator, byte[] localStaticPrivate, byte[] localStaticPublic,
                    byte[] prologue, SecureRandom random) {
        Objects.requireNonNull(prologue, "prologue (use an empty array for none)");
        this.initiator = initiator;
        this.random = Objects.requireNonNull(random, "random");
        if (localStaticPublic == null) {
            this.sPublic = X25519.publicKey(localStaticPrivate); // also checks the length
        } else if (localStaticPublic.length != DHLEN || localStaticPrivate.length != DHLEN) {
            throw new IllegalArgumentException("static keys must be " + DHLEN + " bytes");
        } else {
            this.sPublic = localStaticPublic.clone();
        }
        this.s = localStaticPrivate.clone();
        // Noise 5.3 Initialize: "Calls InitializeSymmetric(protocol_name). Calls MixHash(prologue)."
        this.symmetric = new SymmetricState(NoiseConstants.PROTOCOL_NAME);
        symmetric.mixHash(prologue, 0, prologue.length);
        this.state = initiator ? State.INITIATOR_WRITE_1 : State.RESPONDER_READ_1;
    }

    /**
     * Starts a handshake as initiator towards a responder whose static public key is known.
     *
     * @param localStaticPrivate our 32-byte X25519 static private key (copied)
     * @param remoteStaticPublic the responder's 32-byte static public key (copied); if it is a
     *     low-order point, {@link #writeMessage} fails with {@link IllegalArgumentException}
     * @param prologue data both sides must agree on (Noise 6); may be empty, not null
     */
    public static NoiseIK initiator(
            byte[] localStaticPrivate, byte[] remoteStaticPublic, byte[] prologue, SecureRandom random) {
        return initiator(localStaticPrivate, null, remoteStaticPublic, prologue, random);
    }

    /**
     * As {@link #initiator(byte[], byte[], byte[], SecureRandom)}, with our static public key given
     * so it is not recomputed (one X25519 scalar multiplication of six per handshake side). The
     * caller vouches that it belongs to {@code localStaticPrivate}; null computes it.
     */
    public static NoiseIK initiator(byte[] localStaticPrivate, byte[] localStaticPublic,
            byte[] remoteStaticPublic, byte[] prologue, SecureRandom random) {
        if (remoteStaticPublic == null || remoteStaticPublic.length != DHLEN) {
            throw new IllegalArgumentException("remote static public key must be " + DHLEN + " bytes");
        }
        NoiseIK hs = new NoiseIK(true, localStaticPrivate, localStaticPublic, prologue, random);
        hs.rs = remoteStaticPublic.clone();
        // Noise 5.3: "Calls MixHash() once for each public key listed in the pre-messages";
        // IK's pre-message "<- s" is the responder's static key.
        hs.symmetric.mixHash(hs.rs, 0, DHLEN);
        return hs;
    }

    /**
     * Starts a handshake as responder; the initiator's identity is learned from message 1 (see
     * {@link #remoteStatic()}).
     *
     * @param localStaticPrivate our 32-byte X25519 static private key (copied)
     * @param prologue data both sides must agree on (Noise 6); may be empty, not null
     */
    public static NoiseIK responder(byte[] localStaticPrivate, byte[] prologue, SecureRandom random) {
        return responder(localStaticPrivate, null, prologue, random);
    }

    /** As {@link #responder(byte[], byte[], SecureRandom)}, with our static public key given (see initiator). */
    public static NoiseIK responder(byte[] localStaticPrivate, byte[] localStaticPublic,
                                    byte[] prologue, SecureRandom random) {
        NoiseIK hs = new NoiseIK(false, localStaticPrivate, localStaticPublic, prologue, random);
        // Noise 5.3 pre-message "<- s": the responder hashes its own static public key.
        hs.symmetric.mixHash(hs.sPublic, 0, DHLEN);
        return hs;
    }

    /**
     * Test hook: uses {@code ephemeralPrivate} instead of a random ephemeral key, so published
     * test vectors can be reproduced. Only before this side has processed any message.
     */
    NoiseIK withEphemeral(byte[] ephemeralPrivate) {
        if (state != State.INITIATOR_WRITE_1 && state != State.RESPONDER_READ_1) {
            throw wrongState("withEphemeral");
        }
        X25519.publicKey(ephemeralPrivate); // length check
        e = ephemeralPrivate.clone();
        return this;
    }

    /** Length of message 1 carrying {@code payloadLen} payload bytes: 32 + 48 + payloadLen + 16. */
    public static int message1Length(int payloadLen) {
        return checkedLength(MESSAGE1_OVERHEAD, payloadLen);
    }

    /** Length of message 2 carrying {@code payloadLen} payload bytes: 32 + payloadLen + 16. */
    public static int message2Length(int payloadLen) {
        return checkedLength(MESSAGE2_OVERHEAD, payloadLen);
    }

    /**
     * Noise 5.3 WriteMessage: writes message 1 (initiator) or message 2 (responder) into
     * {@code out[outOff..)}, encrypting the payload. {@code payload} and {@code out} must not
     * overlap.
     *
     * @return the number of bytes written, {@link #message1Length} or {@link #message2Length}
     * @throws IllegalStateException if it is not this side's turn to write
     * @throws IllegalArgumentException if the message would exceed 65535 bytes, or (initiator)
     *     the configured remote static key is a low-order point; the latter kills the handshake
     */
    public int writeMessage(byte[] payload, int payloadOff, int payloadLen, byte[] out, int outOff) {
        int total = switch (state) {
            case INITIATOR_WRITE_1 -> message1Length(payloadLen);
            case RESPONDER_WRITE_2 -> message2Length(payloadLen);
            default -> throw wrongState("writeMessage");
        };
        Objects.checkFromIndexSize(payloadOff, payloadLen, payload.length);
        Objects.checkFromIndexSize(outOff, total, out.length);
        try {
            if (initiator) {
                writeMessage1(payload, payloadOff, payloadLen, out, outOff);
            } else {
                writeMessage2(payload, payloadOff, payloadLen, out, outOff);
            }
            return total;
        } catch (NoiseException ex) {
            fail();
            throw new IllegalArgumentException("remote public key rejected: " + ex.getMessage(), ex);
        } catch (RuntimeException ex) {
            fail();
            throw ex;
        }
    }

    /**
     * Noise 5.3 ReadMessage: reads message 2 (initiator) or message 1 (responder) from {@code
     * msg[off..off+len)} and writes its decrypted payload to {@code payloadOut[payloadOff..)},
     * which needs room for {@code len - overhead} bytes (overhead 96 for message 1, 48 for
     * message 2). The payload region must not be used if this throws.
     *
     * @return the payload length
     * @throws NoiseException if the message has the wrong length, fails authentication or carries
     *     a low-order public key; the handshake is then {@link State#FAILED}
     * @throws IllegalStateException if it is not this side's turn to read
     */
    public int readMessage(byte[] msg, int off, int len, byte[] payloadOut, int payloadOff)
            throws NoiseException {
        int overhead = switch (state) {
            case RESPONDER_READ_1 -> MESSAGE1_OVERHEAD;
            case INITIATOR_READ_2 -> MESSAGE2_OVERHEAD;
            default -> throw wrongState("readMessage");
        };
        Objects.checkFromIndexSize(off, len, msg.length);
        int payloadLen = len - overhead;
        if (payloadLen >= 0) {
            Objects.checkFromIndexSize(payloadOff, payloadLen, payloadOut.length);
        }
        // The initiator's pending state survives a response that fails to authenticate: anyone who
        // saw the initiation can forge a response, and it must cost no more than a dropped packet.
        SymmetricState.Snapshot before = initiator ? symmetric.snapshot() : null;
        try {
            if (payloadLen < 0 || len > MAX_MESSAGE_LENGTH) {
                throw new NoiseException("handshake message of " + len + " bytes; expected "
                        + overhead + ".." + MAX_MESSAGE_LENGTH);
            }
            return initiator
                    ? readMessage2(msg, off, len, payloadOut, payloadOff)
                    : readMessage1(msg, off, len, payloadOut, payloadOff);
        } catch (NoiseException ex) {
            if (before != null) {
                symmetric.restore(before);
                re = null;
                state = State.INITIATOR_READ_2;
            } else {
                fail();
            }
            throw ex;
        } catch (RuntimeException ex) {
            fail();
            throw ex;
        }
    }

    /** Initiator: {@code -> e, es, s, ss} then the payload. */
    private void writeMessage1(byte[] payload, int payloadOff, int payloadLen, byte[] out, int outOff)
            throws NoiseException {
        int p = writeEphemeral(out, outOff);
        // Noise 5.3 "es": "Calls MixKey(DH(e, rs)) if initiator".
        mixDh(e, rs);
        // Noise 5.3 "s": "Appends EncryptAndHash(s.public_key) to the buffer."
        p += symmetric.encryptAndHash(sPublic, 0, DHLEN, out, p);
        // Noise 5.3 "ss": "Calls MixKey(DH(s, rs))."
        mixDh(s, rs);
        // Noise 5.3: "Appends EncryptAndHash(payload) to the buffer."
        symmetric.encryptAndHash(payload, payloadOff, payloadLen, out, p);
        state = State.INITIATOR_READ_2;
    }

    /** Responder: {@code -> e, es, s, ss} then the payload. */
    private int readMessage1(byte[] msg, int off, int len, byte[] payloadOut, int payloadOff)
            throws NoiseException {
        int p = readEphemeral(msg, off);
        // Noise 5.3 "es": "MixKey(DH(s, re)) if responder".
        mixDh(s, re);
        // Noise 5.3 "s": "Sets temp to the next DHLEN + 16 bytes of the message if HasKey() ==
        // True ... Sets rs (which must be empty) to DecryptAndHash(temp)." (es set a key.)
        byte[] remoteStatic = new byte[DHLEN];
        symmetric.decryptAndHash(msg, p, DHLEN + TAG_LENGTH, remoteStatic, 0);
        p += DHLEN + TAG_LENGTH;
        // Noise 5.3 "ss": "Calls MixKey(DH(s, rs))."
        mixDh(s, remoteStatic);
        // Noise 5.3: "Calls DecryptAndHash() on the remaining bytes of the message".
        int n = symmetric.decryptAndHash(msg, p, off + len - p, payloadOut, payloadOff);
        rs = remoteStatic;
        state = State.RESPONDER_WRITE_2;
        return n;
    }

    /** Responder: {@code <- e, ee, se} then the payload; the handshake is then complete. */
    private void writeMessage2(byte[] payload, int payloadOff, int payloadLen, byte[] out, int outOff)
            throws NoiseException {
        int p = writeEphemeral(out, outOff);
        // Noise 5.3 "ee": "Calls MixKey(DH(e, re))."
        mixDh(e, re);
        // Noise 5.3 "se": "MixKey(DH(e, rs)) if responder".
        mixDh(e, rs);
        symmetric.encryptAndHash(payload, payloadOff, payloadLen, out, p);
        complete();
    }

    /** Initiator: {@code <- e, ee, se} then the payload; the handshake is then complete. */
    private int readMessage2(byte[] msg, int off, int len, byte[] payloadOut, int payloadOff)
            throws NoiseException {
        int p = readEphemeral(msg, off);
        // Noise 5.3 "ee": "Calls MixKey(DH(e, re))."
        mixDh(e, re);
        // Noise 5.3 "se": "Calls MixKey(DH(s, re)) if initiator".
        mixDh(s, re);
        int n = symmetric.decryptAndHash(msg, p, off + len - p, payloadOut, payloadOff);
        complete();
        return n;
    }

    /**
     * Noise 5.3 "e" (write): "Sets e (which must be empty) to GENERATE_KEYPAIR(). Appends
     * e.public_key to the buffer. Calls MixHash(e.public_key)."
     */
    private int writeEphemeral(byte[] out, int p) {
        if (e == null) {
            e = X25519.generatePrivateKey(random);
        }
        byte[] ePublic = X25519.publicKey(e);
        System.arraycopy(ePublic, 0, out, p, DHLEN);
        symmetric.mixHash(ePublic, 0, DHLEN);
        return p + DHLEN;
    }

    /**
     * Noise 5.3 "e" (read): "Sets re (which must be empty) to the next DHLEN bytes from the
     * message. Calls MixHash(re.public_key)."
     */
    private int readEphemeral(byte[] msg, int p) {
        re = Arrays.copyOfRange(msg, p, p + DHLEN);
        symmetric.mixHash(re, 0, DHLEN);
        return p + DHLEN;
    }

    /**
     * MixKey(DH(priv, pub)), rejecting an all-zero DH output. Noise 12.1 allows this: "implementations
     * are allowed to detect inputs that produce an all-zeros output and signal an error instead";
     * we do, as RFC 7748 section 6.1 advises, so no session ever runs on a key an attacker knows.
     */
    private void mixDh(byte[] priv, byte[] pub) throws NoiseException {
        try {
            if (!X25519.agree(priv, pub, dh, 0)) {
                throw new NoiseException("low-order X25519 public key (all-zero DH output)");
            }
            symmetric.mixKey(dh);
        } finally {
            Arrays.fill(dh, (byte) 0);
        }
    }

    private void complete() {
        handshakeHash = symmetric.handshakeHash();
        wipe(e);
        e = null;
        state = State.COMPLETE;
    }

    /**
     * Noise 5.2 Split(), once, after the handshake: the transport keys from this side's point of
     * view. Wipes ck, the handshake cipher key and the static and ephemeral private keys.
     */
    public SessionKeys split() {
        if (state != State.COMPLETE) {
            throw wrongState("split");
        }
        byte[][] k = symmetric.split(); // (k1: initiator -> responder, k2: responder -> initiator)
        destroySecrets();
        state = State.SPLIT;
        return initiator ? new SessionKeys(k[0], k[1]) : new SessionKeys(k[1], k[0]);
    }

    /** True once both handshake messages have been processed (before or after {@link #split()}). */
    public boolean isComplete() {
        return state == State.COMPLETE || state == State.SPLIT;
    }

    /** Noise 5.2 GetHandshakeHash(): the final h, for channel binding (Noise 11.2). A copy. */
    public byte[] handshakeHash() {
        if (!isComplete()) {
            throw wrongState("handshakeHash");
        }
        return handshakeHash.clone();
    }

    /**
     * The remote static public key (a copy): for the initiator the one it was given, for the
     * responder the one authenticated in message 1 (so only after reading it).
     */
    public byte[] remoteStatic() {
        if (rs == null || state == State.FAILED) {
            throw wrongState("remoteStatic");
        }
        return rs.clone();
    }

    /** True for the side created by {@link #initiator}. */
    public boolean isInitiator() {
        return initiator;
    }

    /** The current step. */
    public State state() {
        return state;
    }

    private void fail() {
        state = State.FAILED;
        destroySecrets();
    }

    private void destroySecrets() {
        symmetric.destroy();
        wipe(s);
        wipe(e);
        e = null;
        wipe(dh);
    }

    private static void wipe(byte[] secret) {
        if (secret != null) {
            Arrays.fill(secret, (byte) 0);
        }
    }

    private static int checkedLength(int overhead, int payloadLen) {
        if (payloadLen < 0 || payloadLen > MAX_MESSAGE_LENGTH - overhead) {
            throw new IllegalArgumentException("payload of " + payloadLen + " bytes does not fit a "
                    + MAX_MESSAGE_LENGTH + "-byte Noise message (overhead " + overhead + ")");
        }
        return overhead + payloadLen;
    }

    private IllegalStateException wrongState(String operation) {
        return new IllegalStateException(
                operation + " is not allowed in state " + state + (initiator ? " (initiator)" : " (responder)"));
    }
}
