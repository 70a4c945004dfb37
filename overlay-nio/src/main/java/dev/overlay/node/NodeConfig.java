package dev.overlay.node;

import dev.overlay.identity.Identity;
import dev.overlay.session.DeviceConfig;
import dev.overlay.stream.StreamConfig;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * What a node needs to start.
 *
 * @param identity the node's static keypair (its address)
 * @param bind the local UDP address; port 0 picks a free one
 * @param peers statically configured peers
 * @param device session-layer tuning
 * @param streams stream-layer tuning
 * @param rendezvous rendezvous servers to register with and ask (empty: static peers only)
 * @param rendezvousServer true to also serve as a rendezvous and relay for other nodes
 * @param management true (the default) to expose the node and its peers as JMX MBeans in the
 *     platform MBean server while it runs (docs/observability.md); false for tests and benchmarks
 *     that start many nodes
 * @param udpOffload true (the default) to move datagrams in batches, one system call per batch,
 *     where Linux has it: segmentation offload on send ({@code UDP_SEGMENT}) and receive offload
 *     ({@code UDP_GRO}), docs/streams.md; false for one system call per datagram each way
 */
public record NodeConfig(Identity identity, InetSocketAddress bind, List<PeerSpec> peers,
                         DeviceConfig device, StreamConfig streams, List<RendezvousSpec> rendezvous,
                         boolean rendezvousServer, boolean management, boolean udpOffload) {
    public NodeConfig {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(bind, "bind");
        peers = List.copyOf(peers);
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(streams, "streams");
        rendezvous = List.copyOf(rendezvous);
        for (RendezvousSpec r : rendezvous) {
            if (identity.id().equals(r.key())) {
                throw new IllegalArgumentException("rendezvous " + r + " is this node itself");
            }
        }
    }

    /** As the canonical constructor, with management and UDP offload on. */
    public NodeConfig(Identity identity, InetSocketAddress bind, List<PeerSpec> peers, DeviceConfig device,
                      StreamConfig streams, List<RendezvousSpec> rendezvous, boolean rendezvousServer) {
        this(identity, bind, peers, device, streams, rendezvous, rendezvousServer, true, true);
    }

    /** A node on {@code bind} with default tuning and the given peers. */
    public static NodeConfig of(Identity identity, InetSocketAddress bind, List<PeerSpec> peers) {
        return new NodeConfig(identity, bind, peers, DeviceConfig.DEFAULTS, StreamConfig.DEFAULTS, List.of(), false, true,
                true);
    }

    /** With JMX MBeans for the node and its peers ({@code true}, the default) or without. */
    public NodeConfig withManagement(boolean on) {
        return new NodeConfig(identity, bind, peers, device, streams, rendezvous, rendezvousServer, on, udpOffload);
    }

    /**
     * With UDP offload ({@code true}, the default: datagrams to one peer leave in one system call
     * where Linux has {@code UDP_SEGMENT}, and the kernel may hand over a batch from one sender in
     * one receive with {@code UDP_GRO}) or without (one system call per datagram each way).
     */
    public NodeConfig withUdpOffload(boolean on) {
        return new NodeConfig(identity, bind, peers, device, streams, rendezvous, rendezvousServer, management, on);
    }

    public NodeConfig withDevice(DeviceConfig d) {
        return new NodeConfig(identity, bind, peers, d, streams, rendezvous, rendezvousServer, management, udpOffload);
    }

    public NodeConfig withStreams(StreamConfig s) {
        return new NodeConfig(identity, bind, peers, device, s, rendezvous, rendezvousServer, management, udpOffload);
    }

    /** Registers with these rendezvous servers and looks unknown keys up through them. */
    public NodeConfig withRendezvous(List<RendezvousSpec> servers) {
        return new NodeConfig(identity, bind, peers, device, streams, servers, rendezvousServer, management, udpOffload);
    }

    /**
     * Also runs a rendezvous and relay for other nodes on this node's UDP socket. Every registered
     * node holds a session with it, so the peer bound grows to the registry's bound.
     */
    public NodeConfig asRendezvousServer() {
        int peersNeeded = dev.overlay.rendezvous.RendezvousService.Config.DEFAULTS.maxEntries();
        DeviceConfig d = device.maxPeers() >= peersNeeded ? device
                : new DeviceConfig(device.timers(), peersNeeded, device.acceptPeer());
        return new NodeConfig(identity, bind, peers, d, streams, rendezvous, true, management, udpOffload);
    }
}
