package dev.overlay.session;

/**
 * Protocol constants of the session layer, kept apart from tuning ({@link SessionTimers}).
 * Values and reasoning follow WireGuard's whitepaper, section 6.1, unless noted.
 */
public final class Constants {
    private Constants() {}

    /** Noise protocol name: exactly this suite, so the public test vectors apply. */
    public static final String NOISE_PROTOCOL = "Noise_IK_25519_AESGCM_SHA256";

    /**
     * Noise prologue: binds the wire-format version into the handshake hash, so a peer speaking
     * another version fails the handshake instead of misreading our packets.
     */
    public static final byte[] PROLOGUE = "overlay/1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The initiator starts a new handshake once a keypair has sealed this many messages. */
    public static final long REKEY_AFTER_MESSAGES = 1L << 60;

    /**
     * No keypair seals or opens a message past this counter. WireGuard uses 2^64 - 2^13 - 1; we
     * keep counters positive Java longs, so 2^63 - 2^13 - 1 (2900 years at 10^8 packets/s).
     */
    public static final long REJECT_AFTER_MESSAGES = Long.MAX_VALUE - (1L << 13);

    /**
     * Most packets staged per peer while a handshake is under way (WireGuard: 128); older ones are
     * dropped and counted. Bounds memory when a peer is unreachable.
     */
    public static final int MAX_STAGED_PACKETS = 128;
}
