package dev.overlay.node;

import dev.overlay.identity.NodeId;
import dev.overlay.rendezvous.RendezvousClient;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * A consistent view of a node taken on its event loop ({@link Node#snapshot()}); immutable, safe
 * to use from any thread.
 *
 * @param id the node's key
 * @param localAddress its bound UDP address
 * @param rendezvousServer true when it also serves as a rendezvous and relay
 * @param rendezvous the rendezvous servers it registers with, as it sees them (empty without any)
 * @param peers every peer the session layer knows (with or without a session)
 * @param openStreams streams open to all peers
 * @param datagramsIn UDP datagrams received (anything, before authentication)
 * @param datagramsOut UDP datagrams sent directly (relayed ones go out inside a datagram to the relay)
 * @param bytesIn UDP payload bytes received
 * @param bytesOut UDP payload bytes sent
 * @param handshakesCompleted handshakes completed, both roles (a responder counts when it answers)
 * @param relayedIn sealed datagrams that arrived through a relay
 * @param relayedOut sealed datagrams handed to a relay
 * @param drops the session layer's non-zero drop counters by reason (dev.overlay.session.Drop)
 * @param totalDrops their sum
 * @param relayDrops relay wrappers dropped (malformed, too big, relayed twice)
 * @param unhandledPayloads authenticated payloads no layer wanted
 * @param uptimeNanos time since the node started
 * @param udpSendOffload "on", or "off: " and why (UDP segmentation offload, docs/streams.md)
 * @param udpSendCalls system calls that sent datagrams: with the offload on, one per batch, so
 *     {@code datagramsOut / udpSendCalls} is the datagrams per call
 * @param udpReceiveOffload "on" when the kernel may hand over several datagrams in one receive
 *     (Linux {@code UDP_GRO}), or "off: " and why
 * @param udpReceiveCalls system calls that received datagrams; {@code datagramsIn / udpReceiveCalls}
 *     is the datagrams per call
 */
public record NodeSnapshot(NodeId id, InetSocketAddress localAddress, boolean rendezvousServer,
                           List<RendezvousClient.ServerStatus> rendezvous, List<PeerSnapshot> peers,
                           int openStreams, long datagramsIn, long datagramsOut, long bytesIn, long bytesOut,
                           long handshakesCompleted, long relayedIn, long relayedOut, Map<String, Long> drops,
                           long totalDrops, long relayDrops, long unhandledPayloads, long uptimeNanos,
                           String udpSendOffload, long udpSendCalls, String udpReceiveOffload,
                           long udpReceiveCalls) {
    public NodeSnapshot {
        rendezvous = List.copyOf(rendezvous);
        peers = List.copyOf(peers);
        drops = Map.copyOf(drops);
    }

    /** The peer with key {@code peer}, or null. */
    public PeerSnapshot peer(NodeId peer) {
        for (PeerSnapshot p : peers) {
            if (p.session().id().equals(peer)) {
                return p;
            }
        }
        return null;
    }
}
