package dev.overlay.management;

/**
 * One peer of a node, as JMX shows it: {@code dev.overlay:type=Peer,node=<node's 16>,name=<peer's
 * first 16 base32 characters>}. Registered once a session with the peer is established, removed
 * when the node forgets the peer. Times are milliseconds or seconds as named, -1 when unknown.
 * Attributes and units: docs/observability.md.
 */
public interface PeerMXBean {
    /** The peer's full name, {@code <base32>.overlay}. */
    String getName();

    /** The peer's IPv6 handle. */
    String getHandle();

    /** The name of the node this peer belongs to. */
    String getNode();

    /** {@code direct}, {@code relay} or {@code none}. */
    String getPathKind();

    /** The peer's own UDP address on a direct path; empty when relayed or without a path. */
    String getRemoteAddress();

    /** The relay's UDP address when relayed; empty otherwise. */
    String getRelayAddress();

    /** True when the direct path passed validation. */
    boolean isValidated();

    /** True when keys that seal to the peer exist now. */
    boolean isEstablished();

    /** True while an initiation of ours awaits its response. */
    boolean isHandshaking();

    /** Smoothed RTT in ms: the stream layer's, else the last handshake's; -1 if none. */
    double getRttMillis();

    /** Minimum RTT seen in ms; -1 if none. */
    double getMinRttMillis();

    /** Where RttMillis comes from: {@code streams}, {@code handshake} or {@code none}. */
    String getRttSource();

    /** The round trip the last handshake measured, in ms; -1 if none. */
    double getHandshakeRttMillis();

    /** Wire bytes (sealed datagrams) sent to the peer. */
    long getBytesSent();

    /** Wire bytes (authenticated datagrams) received from the peer. */
    long getBytesReceived();

    long getDatagramsSent();

    long getDatagramsReceived();

    /** Stream payload bytes sent (new data). */
    long getStreamBytesSent();

    /** Stream payload bytes received. */
    long getStreamBytesReceived();

    /** Stream bytes sent again after loss. */
    long getBytesRetransmitted();

    /** Stream-layer packets sent. */
    long getPacketsSent();

    /** Stream-layer packets declared lost. */
    long getPacketsLost();

    int getOpenStreams();

    long getStreamsOpened();

    long getStreamsRefused();

    long getStreamsClosed();

    /** Handshakes completed with this peer, either role. */
    long getHandshakesCompleted();

    /** Seconds since the current session came up; -1 without one. */
    double getSessionAgeSeconds();

    /** Seconds since the last authenticated packet from the peer; -1 if none. */
    double getLastReceivedAgeSeconds();

    /** The datagram size the stream layer uses toward the peer; 0 without a connection. */
    int getPathMtu();
}
