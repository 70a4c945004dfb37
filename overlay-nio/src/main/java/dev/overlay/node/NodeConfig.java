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
 */
public record NodeConfig(Identity identity, InetSocketAddress bind, List<PeerSpec> peers,
                         DeviceConfig device, StreamConfig streams) {
    public NodeConfig {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(bind, "bind");
        peers = List.copyOf(peers);
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(streams, "streams");
    }

    /** A node on {@code bind} with default tuning and the given peers. */
    public static NodeConfig of(Identity identity, InetSocketAddress bind, List<PeerSpec> peers) {
        return new NodeConfig(identity, bind, peers, DeviceConfig.DEFAULTS, StreamConfig.DEFAULTS);
    }

    public NodeConfig withDevice(DeviceConfig d) {
        return new NodeConfig(identity, bind, peers, d, streams);
    }

    public NodeConfig withStreams(StreamConfig s) {
        return new NodeConfig(identity, bind, peers, device, s);
    }
}
