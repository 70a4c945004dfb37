package dev.overlay.node;

import dev.overlay.identity.NodeId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A rendezvous server as users give it: {@code HOST:PORT} (its key is asked for on first contact)
 * or {@code KEY@HOST:PORT} (pinned). Several are separated by {@code ;}.
 *
 * @param address the server's UDP address
 * @param key its key when pinned, else null
 */
public record RendezvousSpec(InetSocketAddress address, NodeId key) {
    public RendezvousSpec {
        Objects.requireNonNull(address, "address");
    }

    /** Parses {@code [KEY@]HOST:PORT}; throws IllegalArgumentException naming what is wrong. */
    public static RendezvousSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected [KEY@]HOST:PORT, got an empty value");
        }
        String t = text.trim();
        int at = t.indexOf('@');
        NodeId key = null;
        if (at >= 0) {
            try {
                key = NodeId.parse(t.substring(0, at));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad key in rendezvous '" + t + "': " + e.getMessage());
            }
            t = t.substring(at + 1);
        }
        return new RendezvousSpec(Endpoints.parse(t, false), key);
    }

    /** Parses {@code A;B;...}: at least one, no empty entries, no address twice. */
    public static List<RendezvousSpec> parseList(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected [KEY@]HOST:PORT[;[KEY@]HOST:PORT...], got an empty value");
        }
        List<RendezvousSpec> list = new ArrayList<>();
        for (String part : text.split(";", -1)) {
            if (part.isBlank()) {
                throw new IllegalArgumentException("empty entry in rendezvous list '" + text + "'");
            }
            RendezvousSpec r = parse(part);
            for (RendezvousSpec other : list) {
                if (other.address.equals(r.address)) {
                    throw new IllegalArgumentException("rendezvous " + Endpoints.format(r.address) + " is listed twice");
                }
            }
            list.add(r);
        }
        return list;
    }

    @Override
    public String toString() {
        return (key == null ? "" : key.name() + "@") + Endpoints.format(address);
    }
}
