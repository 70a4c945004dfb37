package dev.overlay.management;

import java.util.Map;

/**
 * A running overlay node, as JMX shows it: {@code dev.overlay:type=Node,name=<first 16 base32
 * characters of its key>}. Every read takes (or reuses one taken for a read within 100 ms) a snapshot on the node's
 * event loop; a loop that does not answer within 2 s makes the read fail with an
 * IllegalStateException naming the timeout. Attributes and units: docs/observability.md.
 */
public interface NodeMXBean {
    /** The full name, {@code <base32>.overlay}. */
    String getName();

    /** The IPv6 handle in fd6f::/16. */
    String getHandle();

    /** The bound UDP address, e.g. {@code 127.0.0.1:7000}. */
    String getUdpAddress();

    /** True when the node also serves as a rendezvous and relay. */
    boolean isRendezvousServer();

    /** One line per rendezvous server: {@code ADDRESS up|down [reflexive ADDRESS] [key NAME]}. */
    String[] getRendezvousServers();

    /** Peers the session layer knows (with or without a session). */
    int getPeerCount();

    /** Peers with an established session (keys that seal now). */
    int getSessionCount();

    /** The peers' names. */
    String[] getPeers();

    int getOpenStreams();

    /** Streams opened with all peers since start, both directions. */
    long getStreamsOpened();

    /** UDP datagrams received (anything, before authentication). */
    long getDatagramsIn();

    /** UDP datagrams sent directly. */
    long getDatagramsOut();

    /** "on" when datagrams leave in batches (Linux UDP segmentation offload), else "off: " and why. */
    String getUdpSendOffload();

    /** System calls that sent datagrams: one per batch with the offload on (DatagramsOut / this = batch size). */
    long getUdpSendCalls();

    /** "on" when the kernel may hand over several datagrams in one receive (Linux UDP_GRO), else "off: " and why. */
    String getUdpReceiveOffload();

    /** System calls that received datagrams: with the receive offload on, DatagramsIn / this = datagrams per call. */
    long getUdpReceiveCalls();

    /** UDP payload bytes received. */
    long getBytesIn();

    /** UDP payload bytes sent. */
    long getBytesOut();

    /** Stream payload bytes sent to all peers (new data, not retransmissions). */
    long getStreamBytesSent();

    /** Stream payload bytes received from all peers. */
    long getStreamBytesReceived();

    /** Stream bytes retransmitted to all peers. */
    long getBytesRetransmitted();

    /** Stream-layer packets declared lost, all peers. */
    long getPacketsLost();

    long getHandshakesCompleted();

    /** Sealed datagrams that arrived through a relay. */
    long getRelayedIn();

    /** Sealed datagrams sent through a relay. */
    long getRelayedOut();

    /** Non-zero drop counters by reason (dev.overlay.session.Drop names). */
    Map<String, Long> getDrops();

    long getTotalDrops();

    /** Relay wrappers dropped. */
    long getRelayDrops();

    /** Authenticated payloads no layer wanted. */
    long getUnhandledPayloads();

    /** Seconds since the node started. */
    long getUptimeSeconds();
}
