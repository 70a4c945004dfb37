package dev.overlay.stream;

import dev.overlay.identity.NodeId;

/**
 * Told when streams open and close, on the event loop (implementations must be quick and must
 * not block). The node uses it for flight-recorder events.
 */
public interface StreamObserver {
    /**
     * A stream opened, or its opening was refused.
     *
     * @param inbound true when the peer opened it
     * @param durationNanos for a stream we opened, from the open to the answer; 0 for inbound ones
     * @param refusal null when it opened; else why not, as {@link StreamError#describe} says (for
     *     example "refused: no listener on that port" or "not allowed: ...")
     */
    void streamOpened(NodeId peer, long streamId, int port, boolean inbound, long durationNanos, String refusal);

    /**
     * A stream was finished and forgotten.
     *
     * @param outcome "closed" for a clean end in both directions, "reset" when either side reset
     *     it, else the failure (for example "connection timed out: ...")
     * @param lifetimeNanos from its creation to now
     * @param bytesSent bytes it sent (its highest offset)
     * @param bytesReceived bytes it received (its highest offset)
     */
    void streamClosed(NodeId peer, long streamId, int port, boolean inbound, String outcome, long lifetimeNanos,
                      long bytesSent, long bytesReceived);
}
