package dev.overlay.nio;

import dev.overlay.identity.NodeId;

/**
 * Implemented by the drop-in's overlay channels and sockets (and their adaptors) so that
 * {@link Overlay#peerKey(Object)} can tell the key of the node at the other end.
 */
interface OverlayPeer {
    /** The peer's key, or null while not connected. */
    NodeId overlayPeer();
}
