package dev.overlay.session;

import dev.overlay.identity.NodeId;
import java.net.InetSocketAddress;

/**
 * A point-in-time view of one peer, safe to hand to other threads.
 *
 * @param id the peer's key
 * @param endpoint the UDP address packets to it go to (null if unknown)
 * @param established true when a keypair can seal packets to it now
 * @param handshaking true while an initiation of ours awaits its response
 * @param staged payloads waiting for a handshake
 */
public record PeerStatus(NodeId id, InetSocketAddress endpoint, boolean established,
                         boolean handshaking, int staged) {
    static PeerStatus of(Peer p) {
        return new PeerStatus(p.id, p.endpoint, p.current != null, p.handshaking(), p.staged.size());
    }
}
