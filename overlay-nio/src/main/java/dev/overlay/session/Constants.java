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

    /**
     * Most payload bytes staged per peer (256 KiB, four of the largest payloads); the oldest are
     * dropped and counted. Without it 128 payloads of 64 KiB (8 MiB) could wait for each peer.
     */
    public static final int MAX_STAGED_BYTES_PER_PEER = 256 * 1024;

    /**
     * Most payload bytes staged across all peers (16 MiB): a payload that would go past it is
     * refused (counted), once its own peer has nothing older left to drop for it.
     */
    public static final long MAX_STAGED_BYTES = 16L << 20;

    // ------------------------------------------------------------ paths (docs/nat-traversal.md)

    /**
     * Direct candidate addresses kept per peer; the oldest is dropped for a new one. A node has a
     * few local addresses and one reflexive address per rendezvous, so 16 is plenty, and it bounds
     * the probes one peer's CANDIDATES can make us send.
     */
    public static final int MAX_CANDIDATES = 16;

    /**
     * Candidates that also get a copy of each initiation while no direct path is validated: the
     * newest 8, so one handshake costs at most 10 initiations (path, relay, 8 copies).
     */
    public static final int HANDSHAKE_COPIES = 8;

    /**
     * Anti-amplification (as QUIC, RFC 9000 8): to an endpoint that is not validated, at most this
     * many times the bytes received from it are sent.
     */
    public static final int AMPLIFICATION_FACTOR = 3;

    /**
     * When the challenges to a candidate go out, from the start of its schedule: fast at first, so a
     * hole punched by both sides at once opens within a few round trips, then
     * {@link #BACKGROUND_PROBE_NANOS} apart.
     */
    static final long[] PROBE_SCHEDULE_NANOS = {0, 200_000_000L, 400_000_000L, 800_000_000L, 1_600_000_000L};

    /**
     * After the fast schedule, a candidate is probed this often while the session is in use and no
     * direct path is validated (a relayed session keeps trying to go direct, cheaply).
     */
    static final long BACKGROUND_PROBE_NANOS = 5_000_000_000L;

    /**
     * Background rounds per schedule: a candidate that has not answered 12 background challenges
     * (a minute of the session in use after the fast schedule) is left alone until its schedule
     * starts over (a new CANDIDATES naming it afresh, a handshake, a fallback).
     */
    static final int BACKGROUND_ROUNDS = 12;

    /**
     * Every candidate's schedule starts over on a completed handshake or a fallback, but at most
     * this often: a peer completing handshakes in a loop does not restart them each time.
     */
    static final long PROBE_RESTART_NANOS = 60_000_000_000L;

    /**
     * The probe allowance per peer for addresses the peer named (CANDIDATES, lookups, config): at
     * most this many challenges at once (two rounds to 16 candidates, or the whole fast schedule to
     * 6)...
     */
    static final int PROBE_BURST = 32;

    /**
     * ...then one more each 0.5 s (2 a second, 82 bytes a second). Whatever the peer sends, what
     * it can make us send to addresses it names is 32 x 41 bytes plus 82 bytes a second.
     */
    static final long PROBE_TOKEN_NANOS = 500_000_000L;

    /**
     * A roaming endpoint not validated within this is abandoned for the previous path: 3 s covers
     * the challenges at 0, 0.2, 0.4, 0.8 and 1.6 s on any real round trip.
     */
    static final long ROAM_VALIDATION_NANOS = 3_000_000_000L;

    /**
     * Bytes a relay adds to a sealed datagram: RELAY kind (1) and destination key (32) inside a
     * transport packet to the rendezvous (16 header + 16 tag).
     */
    public static final int RELAY_OVERHEAD = 65;
}
