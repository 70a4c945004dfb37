package dev.overlay.session;

import dev.overlay.identity.NodeId;

/**
 * Session-layer statistics of one peer at one moment, safe to hand to other threads. Times are
 * nanoseconds; -1 means "not known" (no session, nothing received, no handshake yet).
 *
 * @param id the peer's key
 * @param path where packets to it go now, or null
 * @param validated {@code path} is a direct address that passed validation
 * @param established a keypair can seal packets to it now
 * @param handshaking an initiation of ours awaits its response
 * @param datagramsIn authenticated datagrams received from it (handshake messages included)
 * @param datagramsOut datagrams sent to it, directly or through a relay
 * @param wireBytesIn UDP payload bytes of {@code datagramsIn} (sealed, headers included)
 * @param wireBytesOut UDP payload bytes of {@code datagramsOut} (before a relay's wrapping)
 * @param handshakes handshakes completed with it, either role
 * @param sessionAge time since the current session (across rekeys) came up, or -1
 * @param lastReceivedAge time since the last authenticated packet from it, or -1
 * @param handshakeRtt the round trip the last handshake measured, or -1
 * @param handshakeDuration how long the last handshake took from its first attempt, or -1
 */
public record PeerStats(NodeId id, Path path, boolean validated, boolean established, boolean handshaking,
                        long datagramsIn, long datagramsOut, long wireBytesIn, long wireBytesOut,
                        long handshakes, long sessionAge, long lastReceivedAge, long handshakeRtt,
                        long handshakeDuration) {
    static PeerStats of(Peer p, long now) {
        return new PeerStats(p.id, p.path(), p.directValidated(), p.current != null, p.handshaking(),
                p.datagramsIn, p.datagramsOut, p.wireBytesIn, p.wireBytesOut, p.handshakes,
                p.sessionSince == Peer.NEVER ? -1 : Math.max(0, now - p.sessionSince),
                p.lastReceivedAt == Peer.NEVER ? -1 : Math.max(0, now - p.lastReceivedAt),
                p.handshakeRtt, p.handshakeDuration);
    }
}
