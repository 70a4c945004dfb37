package dev.overlay.session;

import dev.overlay.identity.NodeId;
import java.net.InetSocketAddress;

/**
 * Something the layers above (and the logs) should know about a peer.
 *
 * @param kind what happened
 * @param peer whom it concerns
 * @param endpoint the peer's UDP address at the time (may be null)
 */
public record SessionEvent(Kind kind, NodeId peer, InetSocketAddress endpoint) {
    public enum Kind {
        /** A handshake we initiated completed; data flows. */
        ESTABLISHED_AS_INITIATOR,
        /** We answered a peer's handshake; its first transport packet will confirm the keys. */
        ESTABLISHED_AS_RESPONDER,
        /** Handshake attempts for rekey-attempt-time got no answer; staged packets were dropped. */
        UNREACHABLE,
        /** Nothing authenticated arrived for idle-timeout; the session's keys were erased. */
        IDLE_CLOSED,
        /** An authenticated packet came from a new address; replies now go there. */
        ENDPOINT_CHANGED
    }
}
