package dev.overlay.nio;

import dev.overlay.identity.NodeId;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What the NIO drop-in (channels, selector, sockets, factories) needs from the overlay. The
 * process-wide {@link OverlayRuntime} implements it from the configuration; tests may pass their
 * own, built on a {@link dev.overlay.node.Node}.
 */
public interface OverlayBackend {
    /**
     * True when {@code target} names an overlay node: an IPv6 handle ({@code fd6f::/16}), or an
     * unresolved host that is a {@code <base32>.overlay} name or a configured alias.
     */
    boolean isOverlay(InetSocketAddress target);

    /**
     * Starts opening a stream to {@code target} (see {@link dev.overlay.node.Node#openAsync}): the
     * future completes with the stream once its OPEN is sent, and fails with a
     * {@link java.net.ConnectException} or {@link java.net.UnknownHostException} naming what is
     * wrong when the target cannot be reached or named.
     */
    CompletableFuture<OverlayStream> open(InetSocketAddress target, Duration timeout);

    /** The overlay-only listener of a served port, or null when {@code port} is not served on the overlay. */
    StreamListener listener(int port);

    /**
     * Whether {@code port} is served on the overlay, answered without starting anything (a runtime
     * answers from its configuration). By default, whether {@link #listener(int)} is not null.
     */
    default boolean serves(int port) {
        return listener(port) != null;
    }

    /** This node's IPv6 handle: the local address overlay channels report. */
    Inet6Address localHandle();

    /** The handle a peer's key maps to: the remote address overlay channels report. */
    default Inet6Address handleOf(NodeId peer) {
        return peer.handle();
    }
}
