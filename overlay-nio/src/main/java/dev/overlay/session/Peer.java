package dev.overlay.session;

import dev.overlay.identity.NodeId;
import dev.overlay.wire.Mac1;
import dev.overlay.wire.Tai64n;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * Everything a device knows about one remote key: where it is, its keypairs, the handshake under
 * way, packets waiting for it, and its timer deadlines ({@link #OFF} when not armed).
 *
 * <p>Keypair rotation follows WireGuard: {@code current} seals outgoing packets; {@code previous}
 * still opens late packets after a rekey; {@code next} is a responder's new keypair that becomes
 * current only when the initiator's first transport packet proves it has the same keys.
 */
final class Peer {
    static final long OFF = Long.MAX_VALUE;
    static final long NEVER = Long.MIN_VALUE;

    final NodeId id;
    /** Added by configuration (kept when idle) rather than learned from an initiation. */
    boolean configured;
    /**
     * False for a peer learned from an initiation until its first transport packet proves it holds
     * the keys: until then it lives in a small evicting pool, so initiations from throwaway keys
     * (or replays) cannot crowd out real peers.
     */
    boolean confirmed;
    InetSocketAddress endpoint;

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

    final ArrayDeque<byte[]> staged = new ArrayDeque<>();

    long retransmitHandshakeAt = OFF;
    long sendKeepaliveAt = OFF;
    long newHandshakeAt = OFF;
    long persistentKeepaliveAt = OFF;

    Peer(NodeId id, InetSocketAddress endpoint, boolean configured) {
        this.id = id;
        this.endpoint = endpoint;
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
        return id.shortName() + "@" + endpoint;
    }
}
