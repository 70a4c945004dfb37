package dev.overlay.session;

import dev.overlay.identity.NodeId;
import java.net.InetSocketAddress;

/**
 * A point-in-time view of one peer, safe to hand to other threads.
 *
 * @param id the peer's key
 * @param endpoint the UDP address packets to it go to (null if unknown): the peer's own for a direct
 *     path, the relay's for a relayed one
 * @param established true when a keypair can seal packets to it now
 * @param handshaking true while an initiation of ours awaits its response
 * @param staged payloads waiting for a handshake (or for a path)
 * @param path where packets to it go now, or null
 * @param validated true when {@code path} is a direct address that passed validation; false for an
 *     unvalidated direct address, a relay path, or no path
 */
public record PeerStatus(NodeId id, InetSocketAddress endpoint, boolean established,
                         boolean handshaking, int staged, Path path, boolean validated) {
    static PeerStatus of(Peer p) {
        Path path = p.path();
        return new PeerStatus(p.id, path == null ? null : path.address(), p.current != null,
                p.handshaking(), p.staged.size(), path, p.directValidated());
    }
}
