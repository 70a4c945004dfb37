package dev.overlay.nio;

import dev.overlay.identity.NodeId;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Public helpers for applications running on the NIO drop-in.
 *
 * <pre>{@code
 * SocketChannel ch = server.accept();
 * NodeId peer = Overlay.peerKey(ch);   // null for a kernel connection
 * if (peer == null || !trusted.contains(peer)) { ch.close(); }
 * }</pre>
 */
public final class Overlay {
    /** Sockets that cannot implement {@link OverlayPeer} themselves (a plain Socket on an overlay impl). */
    private static final Map<Object, OverlayPeer> ATTACHED = Collections.synchronizedMap(new WeakHashMap<>());

    private Overlay() {}

    /**
     * The key of the node at the other end of an overlay {@code SocketChannel}, {@code Socket} (or
     * a channel's {@code socket()} adaptor): the identity the peer proved in its handshake, so an
     * application may authorize by it. Null for a kernel channel or socket, for one that is not
     * connected, and for null.
     */
    public static NodeId peerKey(Object channelOrSocket) {
        if (channelOrSocket instanceof OverlayPeer p) {
            return p.overlayPeer();
        }
        if (channelOrSocket == null) {
            return null;
        }
        OverlayPeer p = ATTACHED.get(channelOrSocket);
        if (p != null) {
            return p.overlayPeer();
        }
        // A java.net.Socket made while the socket hook is installed, or an OverlaySocket.
        return channelOrSocket instanceof java.net.Socket s ? OverlaySocket.peerKey(s) : null;
    }

    /**
     * Lets {@link #peerKey} answer for {@code socket}, an object that cannot implement
     * {@link OverlayPeer} itself (a {@code java.net.Socket} whose implementation is the overlay's).
     * Held weakly: the entry goes when the socket is collected.
     */
    static void attach(Object socket, OverlayPeer peer) {
        ATTACHED.put(socket, peer);
    }
}
