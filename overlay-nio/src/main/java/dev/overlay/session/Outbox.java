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

    /** An authenticated, decrypted, non-empty payload (position..limit) from {@code from}. */
    void deliver(NodeId from, ByteBuffer payload);

    /** A session event; the default ignores it. */
    default void event(SessionEvent event) {}
}
