package dev.overlay.nio;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link OverlayBackend} for tests, on one {@link Node} bound to loopback: served ports are
 * listeners added with {@link #serve}, handles map to the keys it was told about with {@link #know}.
 */
final class NodeBackend implements OverlayBackend, AutoCloseable {
    final Identity identity;
    final Node node;
    private final Map<Integer, StreamListener> served = new ConcurrentHashMap<>();
    private final Map<InetAddress, NodeId> known = new ConcurrentHashMap<>();

    private NodeBackend(Identity identity, Node node) {
        this.identity = identity;
        this.node = node;
    }

    static NodeBackend start(PeerSpec... peers) throws IOException {
        Identity id = Identity.generate(new SecureRandom());
        Node n = Node.start(NodeConfig.of(id, new InetSocketAddress("127.0.0.1", 0), List.of(peers)));
        NodeBackend b = new NodeBackend(id, n);
        for (PeerSpec p : peers) {
            b.know(p.id());
        }
        return b;
    }

    /** A pair: the returned client knows {@code server}'s key and endpoint. */
    static NodeBackend clientOf(NodeBackend server) throws IOException {
        return start(new PeerSpec(server.id(), server.node.localAddress()));
    }

    NodeId id() {
        return identity.id();
    }

    Inet6Address handle() {
        return id().handle();
    }

    NodeBackend know(NodeId key) {
        known.put(key.handle(), key);
        return this;
    }

    /** Serves overlay {@code port} (from any key). */
    StreamListener serve(int port) {
        return served.computeIfAbsent(port, p -> node.listen(p));
    }

    @Override
    public boolean isOverlay(InetSocketAddress target) {
        if (target.isUnresolved()) {
            return NodeId.isOverlayName(target.getHostString());
        }
        return NodeId.isHandle(target.getAddress());
    }

    @Override
    public CompletableFuture<OverlayStream> open(InetSocketAddress target, Duration timeout) {
        NodeId key;
        if (target.isUnresolved()) {
            try {
                key = NodeId.parse(target.getHostString());
            } catch (IllegalArgumentException e) {
                return CompletableFuture.failedFuture(new UnknownHostException(target.getHostString() + ": " + e.getMessage()));
            }
        } else {
            key = known.get(target.getAddress());
            if (key == null) {
                return CompletableFuture.failedFuture(new UnknownHostException(
                        target.getAddress().getHostAddress() + ": no key known for this handle"));
            }
        }
        return node.openAsync(key, target.getPort(), timeout);
    }

    @Override
    public StreamListener listener(int port) {
        return served.get(port);
    }

    @Override
    public Inet6Address localHandle() {
        return handle();
    }

    @Override
    public void close() throws IOException {
        for (StreamListener l : served.values()) {
            l.close();
        }
        node.close();
    }
}
