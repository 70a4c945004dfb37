package dev.overlay.session;

import dev.overlay.identity.NodeId;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * What the protocol core hands back to its driver. Buffers are only valid during the call: the
 * driver sends or copies them before returning (the core reuses them for the next packet).
 */
public interface Outbox {
    /** Send {@code datagram} (position..limit) to {@code to} over UDP. */
    void transmit(InetSocketAddress to, ByteBuffer datagram);

    /**
     * Send {@code datagram} (position..limit), already sealed for peer {@code to}, through the
     * rendezvous {@code relay}: the driver wraps it in a RELAY message on its session with
     * {@code relay}. The default drops it (a driver without rendezvous support).
     *
     * <p>The core never reads {@code datagram} after this returns, so the driver may call back into
     * the core's {@code send} to seal the wrapper.
     */
    default void relay(NodeId relay, NodeId to, ByteBuffer datagram) {}

    /** An authenticated, decrypted, non-empty payload (position..limit) from {@code from}. */
    void deliver(NodeId from, ByteBuffer payload);

    /**
     * As {@link #deliver(NodeId, ByteBuffer)}, also saying which path the packet came over; the
     * default ignores the path.
     */
    default void deliver(NodeId from, Path via, ByteBuffer payload) {
        deliver(from, payload);
    }

    /** A session event; the default ignores it. */
    default void event(SessionEvent event) {}
}
