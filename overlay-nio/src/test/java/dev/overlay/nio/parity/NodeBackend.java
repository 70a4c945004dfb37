package dev.overlay.nio.parity;

import dev.overlay.identity.NodeId;
import dev.overlay.nio.OverlayBackend;
import dev.overlay.node.Node;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * An {@link OverlayBackend} over two {@link Node}s of this JVM, so that one provider serves both
 * ends of a connection, as the platform provider does on 127.0.0.1: streams are opened from the
 * {@code client} node; served ports listen on the {@code server} node.
 *
 * <ul>
 *   <li>{@link #isOverlay}: an IPv6 handle ({@link NodeId#isHandle}) or an unresolved
 *       {@code <base32>.overlay} name;
 *   <li>{@link #open}: {@code client.openAsync(key, port, timeout)}, the key found from the handle
 *       among the nodes this backend knows (both nodes), or parsed from the name;
 *   <li>{@link #listener}: for a port given to {@link #serve}, the server node's listener, created
 *       on first use and again after a closed one (a closed server channel may close it);
 *   <li>{@link #localHandle}: the client node's handle.
 * </ul>
 *
 * <p>An artifact of using two nodes behind one backend: channels accepted on the server node
 * report the client node's handle as their local address (a real process has one node). The
 * parity tests therefore compare only the port of an accepted channel's local address.
 */
final class NodeBackend implements OverlayBackend {
    private final Node client;
    private final Node server;
    private final Predicate<NodeId> allow;
    private final Map<Inet6Address, NodeId> known = new ConcurrentHashMap<>();
    private final Set<Integer> served = ConcurrentHashMap.newKeySet();
    private final Map<Integer, StreamListener> listeners = new ConcurrentHashMap<>();

    NodeBackend(Node client, Node server, Predicate<NodeId> allow) {
        this.client = client;
        this.server = server;
        this.allow = allow;
        known.put(client.id().handle(), client.id());
        known.put(server.id().handle(), server.id());
    }

    /** Makes {@code port} an overlay-only port of the server node (as {@code overlay.serve} would). */
    void serve(int port) {
        served.add(port);
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
                return CompletableFuture.failedFuture(
                        new UnknownHostException(target.getHostString() + ": " + e.getMessage()));
            }
        } else {
            key = target.getAddress() instanceof Inet6Address a ? known.get(a) : null;
            if (key == null) {
                return CompletableFuture.failedFuture(new ConnectException(
                        "no key known for " + target.getAddress().getHostAddress()));
            }
        }
        return client.openAsync(key, target.getPort(), timeout);
    }

    @Override
    public StreamListener listener(int port) {
        if (!served.contains(port)) {
            return null;
        }
        return listeners.compute(port, (p, l) -> l != null && !l.isClosed() ? l : server.listen(p, allow));
    }

    @Override
    public Inet6Address localHandle() {
        return client.id().handle();
    }
}
