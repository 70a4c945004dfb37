package dev.overlay.session;

import dev.overlay.identity.NodeId;
import dev.overlay.wire.Mac1;
import dev.overlay.wire.Tai64n;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;

/**
 * Everything a device knows about one remote key: where it is, its keypairs, the handshake under
 * way, packets waiting for it, and its timer deadlines ({@link #OFF} when not armed).
 *
 * <p>Keypair rotation follows WireGuard: {@code current} seals outgoing packets; {@code previous}
 * still opens late packets after a rekey; {@code next} is a responder's new keypair that becomes
 * current only when the initiator's first transport packet proves it has the same keys.
 *
 * <p>Paths (docs/nat-traversal.md): an optional direct endpoint, validated or not; an optional
 * relay; up to {@link Constants#MAX_CANDIDATES} candidate addresses being probed. {@link #path()}
 * is where packets go: the direct endpoint if there is one, else the relay.
 */
final class Peer {
    static final long OFF = Long.MAX_VALUE;
    static final long NEVER = Long.MIN_VALUE;

    final NodeId id;
    /**
     * Added by configuration ({@code Device.addPeer}: kept when idle) rather than learned: from an
     * initiation, or from a relay or candidates given for an unknown key. Learned peers are
     * forgotten when their session ends, and count against {@code maxPeers}.
     */
    boolean configured;
    /** Creation order among the device's peers: the oldest idle learned peer gives way first. */
    long seq;
    /**
     * False for a peer learned from an initiation until its first transport packet proves it holds
     * the keys: until then it lives in a small evicting pool, so initiations from throwaway keys
     * (or replays) cannot crowd out real peers.
     */
    boolean confirmed;

    /** The direct path to the peer's UDP address (the endpoint), validated or not; null if none. */
    Path direct;
    /** {@link #direct} answered a challenge or a handshake (docs/nat-traversal.md rule 2). */
    boolean validated;
    /**
     * {@link #direct} was learned from a packet and is not validated yet: at most
     * {@link Constants#AMPLIFICATION_FACTOR} times the bytes received from it may be sent to it, so
     * a spoofed or replayed source cannot aim our traffic at a victim. Configured endpoints are not
     * budgeted (the operator vouched for them).
     */
    boolean budgeted;
    long bytesFromEndpoint;
    long bytesToEndpoint;
    /** The rendezvous that relays to this peer, or null. */
    Path relay;
    /** Direct addresses to probe, oldest first. */
    final ArrayList<Candidate> candidates = new ArrayList<>();
    /** Where our last handshake response went directly; its confirmation validates it (rule 2c). */
    InetSocketAddress responseSentTo;
    /** What a roaming endpoint reverts to if it is not validated by {@link #revertAt}. */
    Path revertTo;
    boolean revertValidated;

    Keypair current;
    Keypair previous;
    Keypair next;
    Handshake handshake;
    private Mac1 mac1;

    final byte[] lastTimestamp = new byte[Tai64n.LENGTH];
    boolean hasTimestamp;
    long lastInitiationConsumedAt = NEVER;
    long lastInitiationSentAt = NEVER;
    long handshakeAttemptsStartedAt = NEVER;
    long lastReceivedAt = NEVER;
    /** The last non-empty payload either way: background probing runs while the session is in use. */
    long lastDataAt = NEVER;

    /** Statistics (docs/observability.md): authenticated datagrams and their wire bytes, each way. */
    long datagramsIn;
    long datagramsOut;
    long wireBytesIn;
    long wireBytesOut;
    /** Handshakes completed with this peer (either role; a responder's counts at confirmation). */
    long handshakes;
    /** When the session (keys, through any number of rekeys) came up; {@link #NEVER} without one. */
    long sessionSince = NEVER;
    /**
     * The round trip the last handshake measured, in nanoseconds (-1: none yet): initiation to
     * response as initiator, response to confirmation as responder.
     */
    long handshakeRtt = -1;
    /** How long the last completed handshake took from its first attempt, in nanoseconds (-1: none). */
    long handshakeDuration = -1;

    final ArrayDeque<byte[]> staged = new ArrayDeque<>();
    /** Bytes in {@link #staged}, at most {@link Constants#MAX_STAGED_BYTES_PER_PEER}. */
    long stagedBytes;

    long retransmitHandshakeAt = OFF;
    long sendKeepaliveAt = OFF;
    long newHandshakeAt = OFF;
    long persistentKeepaliveAt = OFF;
    /** The earliest {@link Candidate#probeAt}. */
    long probeAt = OFF;
    /** When every schedule last started over ({@link #restartProbes}). */
    long lastProbeRestartAt = NEVER;
    /** The probe allowance ({@link #takeProbeToken}): when its bucket would have been empty. */
    long probeBucketEmptyAt = NEVER;
    long revertAt = OFF;
    /** Data went out on the direct path and nothing came back on it: fall back to the relay then. */
    long fallbackAt = OFF;

    /** A direct address being probed with PATH_CHALLENGEs. */
    static final class Candidate {
        final InetSocketAddress address;
        /**
         * Named as an address of the peer (CANDIDATES, a lookup, configuration, an endpoint that
         * worked): its challenges may draw on the peer's probe allowance. An address only seen as
         * the source of a packet (a challenge, a roam) is probed only within
         * {@link Constants#AMPLIFICATION_FACTOR} times the bytes received from it.
         */
        boolean listed;
        /** Bytes of challenges received from this address, and of answers and challenges they paid for. */
        long bytesFrom;
        long bytesTo;
        /** The 8 bytes our challenges to this address carry; 0 until the first one. */
        long token;
        /** Steps of the current schedule done ({@link Constants#PROBE_SCHEDULE_NANOS}, then background). */
        int probes;
        /** Background rounds (after the fast schedule) in which a challenge was due, this schedule. */
        int background;
        long probeAt = OFF;

        Candidate(InetSocketAddress address) {
            this.address = address;
        }

        /** Starts this candidate's schedule over: its first challenge is due at {@code now}. */
        void restart(long now) {
            probes = 0;
            background = 0;
            probeAt = now;
        }
    }

    Peer(NodeId id, InetSocketAddress endpoint, boolean configured) {
        this.id = id;
        this.direct = endpoint == null ? null : Path.direct(endpoint);
        this.configured = configured;
        this.confirmed = configured;
    }

    /** mac1 for messages we send to this peer (keyed with its static key). */
    Mac1 mac1() {
        if (mac1 == null) {
            mac1 = new Mac1(id.key());
        }
        return mac1;
    }

    /** Where packets to this peer go now, or null: the direct endpoint if there is one, else the relay. */
    /** The path last reported in a PATH_CHANGED event (null before the first). */
    Path reportedPath;

    Path path() {
        return direct != null ? direct : relay;
    }

    /** The direct endpoint's address, or null. */
    InetSocketAddress endpoint() {
        return direct == null ? null : direct.address();
    }

    boolean isEndpoint(InetSocketAddress address) {
        return direct != null && direct.address().equals(address);
    }

    boolean directValidated() {
        return direct != null && validated;
    }

    /** Something to send a handshake to: an endpoint, a relay or a candidate. */
    boolean reachable() {
        return direct != null || relay != null || !candidates.isEmpty();
    }

    /**
     * Where a packet of {@code size} bytes goes now: the endpoint unless it is budgeted and the
     * packet would overdraw the budget, else the relay; null when it has to wait.
     */
    Path route(int size) {
        if (direct != null && (!budgeted
                || bytesToEndpoint + size <= Constants.AMPLIFICATION_FACTOR * bytesFromEndpoint)) {
            return direct;
        }
        return relay;
    }

    Candidate candidate(InetSocketAddress address) {
        for (Candidate c : candidates) {
            if (c.address.equals(address)) {
                return c;
            }
        }
        return null;
    }

    /**
     * Adds {@code address} as the newest candidate (dropping the oldest beyond the limit), or
     * finds it; either way it is the newest and returned, {@link Candidate#listed} if it was or
     * {@code listed} says so.
     */
    Candidate addCandidate(InetSocketAddress address, boolean listed) {
        Candidate c = candidate(address);
        if (c != null) {
            candidates.remove(c);
        } else {
            c = new Candidate(address);
            if (candidates.size() >= Constants.MAX_CANDIDATES) {
                candidates.remove(0);
            }
        }
        c.listed |= listed;
        candidates.add(c);
        return c;
    }

    /**
     * Starts every candidate's probe schedule over at {@code now}, unless that was done less than
     * {@link Constants#PROBE_RESTART_NANOS} ago (handshakes may be made to complete often).
     */
    void restartProbes(long now) {
        if (lastProbeRestartAt != NEVER && now - lastProbeRestartAt < Constants.PROBE_RESTART_NANOS) {
            return;
        }
        lastProbeRestartAt = now;
        for (Candidate c : candidates) {
            c.restart(now);
        }
        probeAt = candidates.isEmpty() ? OFF : now;
    }

    /**
     * Takes one challenge from the peer's probe allowance for addresses it named: a bucket of
     * {@link Constants#PROBE_BURST} challenges, refilled one per {@link Constants#PROBE_TOKEN_NANOS};
     * false when it is empty.
     */
    boolean takeProbeToken(long now) {
        long full = now - Constants.PROBE_BURST * Constants.PROBE_TOKEN_NANOS;
        long emptyAt = Math.max(probeBucketEmptyAt, full);
        if (now - emptyAt < Constants.PROBE_TOKEN_NANOS) {
            return false;
        }
        probeBucketEmptyAt = emptyAt + Constants.PROBE_TOKEN_NANOS;
        return true;
    }

    void stopProbes() {
        for (Candidate c : candidates) {
            c.probeAt = OFF;
        }
        probeAt = OFF;
    }

    void updateProbeAt() {
        long d = OFF;
        for (Candidate c : candidates) {
            d = Math.min(d, c.probeAt);
        }
        probeAt = d;
    }

    /** Leaves the roaming state: no budget, nothing to revert to. */
    void settle() {
        budgeted = false;
        bytesFromEndpoint = 0;
        bytesToEndpoint = 0;
        revertTo = null;
        revertAt = OFF;
    }

    boolean hasSession() {
        return current != null || next != null || previous != null;
    }

    boolean handshaking() {
        return handshake != null;
    }

    /** The earliest moment any timer of this peer wants attention. */
    long deadline(SessionTimers t) {
        long d = Math.min(Math.min(retransmitHandshakeAt, sendKeepaliveAt),
                Math.min(newHandshakeAt, persistentKeepaliveAt));
        d = Math.min(d, Math.min(probeAt, Math.min(revertAt, fallbackAt)));
        if (hasSession() && lastReceivedAt != NEVER) {
            d = Math.min(d, lastReceivedAt + t.idleTimeout().toNanos());
        }
        if (!confirmed && next != null) {
            d = Math.min(d, unconfirmedExpiry(t));
        }
        d = Math.min(d, expiry(previous, t));
        d = Math.min(d, expiry(current, t));
        return Math.min(d, expiry(next, t));
    }

    /** An unconfirmed peer whose keys were not used within three rekey-timeouts is forgotten. */
    long unconfirmedExpiry(SessionTimers t) {
        return next.createdAt + 3 * t.rekeyTimeout().toNanos();
    }

    private static long expiry(Keypair k, SessionTimers t) {
        return k == null ? OFF : k.createdAt + t.rejectAfter().toNanos();
    }

    @Override
    public String toString() {
        return id.shortName() + "@" + path();
    }
}
