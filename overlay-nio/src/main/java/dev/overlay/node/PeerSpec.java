package dev.overlay.node;

import dev.overlay.identity.NodeId;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A statically configured peer, {@code KEY@HOST:PORT} (as WireGuard's Endpoint): the peer's key
 * (its name, with or without {@code .overlay}) and the UDP address where it listens.
 */
public record PeerSpec(NodeId id, InetSocketAddress endpoint) {
    public PeerSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(endpoint, "endpoint");
    }

    /** Parses {@code KEY@HOST:PORT}; throws IllegalArgumentException naming what is wrong. */
    public static PeerSpec parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("expected KEY@HOST:PORT, got nothing");
        }
        int at = text.indexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("expected KEY@HOST:PORT, got '" + text + "' (no '@')");
        }
        NodeId id;
        try {
            id = NodeId.parse(text.substring(0, at));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad key in peer '" + text + "': " + e.getMessage());
        }
        return new PeerSpec(id, Endpoints.parse(text.substring(at + 1), false));
    }

    @Override
    public String toString() {
        String host = endpoint.getHostString();
        return id.name() + "@" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + endpoint.getPort();
    }
}
