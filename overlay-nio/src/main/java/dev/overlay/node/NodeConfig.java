package dev.overlay.node;

import dev.overlay.identity.Identity;
import dev.overlay.session.DeviceConfig;
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
 */
public record NodeConfig(Identity identity, InetSocketAddress bind, List<PeerSpec> peers, DeviceConfig device) {
    public NodeConfig {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(bind, "bind");
        peers = List.copyOf(peers);
        Objects.requireNonNull(device, "device");
    }

    /** A node on {@code bind} with default tuning and the given peers. */
    public static NodeConfig of(Identity identity, InetSocketAddress bind, List<PeerSpec> peers) {
        return new NodeConfig(identity, bind, peers, DeviceConfig.DEFAULTS);
    }
}
