package dev.overlay.session;

import dev.overlay.identity.NodeId;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where packets to a peer go: straight to a UDP address, or sealed inside a session with a
 * rendezvous server that relays them (the relay never holds keys that open them).
 *
 * @param address the peer's UDP address for a direct path; the relay's UDP address when relayed
 *     (for display: relayed packets are routed by the relay's key)
 * @param relay the relaying rendezvous' key, or null for a direct path
 */
public record Path(InetSocketAddress address, NodeId relay) {
    public Path {
        Objects.requireNonNull(address, "address");
    }

    public static Path direct(InetSocketAddress address) {
        return new Path(address, null);
    }

    public static Path relayed(NodeId relay, InetSocketAddress relayAddress) {
        return new Path(relayAddress, Objects.requireNonNull(relay, "relay"));
    }

    public boolean isRelayed() {
        return relay != null;
    }

    /** {@code direct} or {@code relay}: the word ping and the logs print. */
    public String kind() {
        return relay == null ? "direct" : "relay";
    }

    /** For example {@code direct 198.51.100.2:7000} or {@code relay 203.0.113.10:7000}. */
    @Override
    public String toString() {
        return kind() + " " + format(address);
    }

    /** {@code 127.0.0.1:7000} or {@code [::1]:7000}; {@code ?} for null. */
    public static String format(InetSocketAddress a) {
        if (a == null) {
            return "?";
        }
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
