package dev.overlay.session;

import dev.overlay.identity.NodeId;
import java.net.InetSocketAddress;

/**
 * Something the layers above (and the logs) should know about a peer.
 *
 * @param kind what happened
 * @param peer whom it concerns
 * @param endpoint the UDP address packets to the peer went to at the time (may be null): the
 *     peer's own for a direct path, the relay's for a relayed one
 * @param path the path packets to the peer took at the time (may be null)
 * @param previousPath for {@link Kind#PATH_CHANGED}: the path reported before (null for the first
 *     path, and for every other kind)
 */
public record SessionEvent(Kind kind, NodeId peer, InetSocketAddress endpoint, Path path, Path previousPath) {
    /** An event with no previous path. */
    public SessionEvent(Kind kind, NodeId peer, InetSocketAddress endpoint, Path path) {
        this(kind, peer, endpoint, path, null);
    }

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
        ENDPOINT_CHANGED,
        /**
         * Packets to the peer take another path now ({@link #path}): relay to direct, one direct
         * address to another, direct to relay, or back after a failed validation. The session and
         * its keys are unchanged; the stream layer searches the path MTU again.
         */
        PATH_CHANGED
    }
}
