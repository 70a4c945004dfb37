package dev.overlay.nio;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.node.Endpoints;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.node.RendezvousSpec;
import dev.overlay.session.SessionEvent;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamError;
import dev.overlay.stream.StreamListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The process-wide overlay node behind the NIO drop-in: started once from the configuration
 * ({@link OverlayConfig}), it owns the {@link Node}, the overlay-only listeners of the
 * {@code serve} ports and the names this node can resolve, and implements {@link OverlayBackend}
 * for the channels, selector, sockets and factories.
 *
 * <p>{@link #get()} starts it from the system properties on first use; an agent or a test starts
 * it explicitly with {@link #start(OverlayConfig)}. {@link #create(OverlayConfig)} makes a runtime
 * that is not the process-wide one (tests with several nodes in one JVM, embedding).
 *
 * <p>Thread-safe.
 */
public final class OverlayRuntime implements OverlayBackend, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.overlay.nio");
    /** Used when {@link #open} is given no timeout (null, zero or negative). */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);

    private static final ReentrantLock GLOBAL_LOCK = new ReentrantLock();
    private static volatile OverlayRuntime global;
    /** Why the process-wide runtime could not start; rethrown by every later {@link #get()}. Guarded by GLOBAL_LOCK. */
    private static RuntimeException globalFailure;
    /** The thread starting the process-wide runtime, to catch start-up calling {@link #get()} again. */
    private static Thread starting;

    private final OverlayConfig config;
    private final Node node;
    private final Map<Integer, StreamListener> listeners;
    private final KeyBook keys;
    private final ReentrantLock listenerLock = new ReentrantLock();
    private volatile boolean closed;
    /** The key of {@link #loopback}, admitted on every served port; null until it exists. */
    private final AtomicReference<NodeId> loopbackKey;
    /** The hidden node behind same-JVM loopback connections to served ports (see {@link #open}); guarded by loopbackLock. */
    private Node loopback;
    private final ReentrantLock loopbackLock = new ReentrantLock();

    private OverlayRuntime(OverlayConfig config, Node node, Map<Integer, StreamListener> listeners, KeyBook keys,
                           AtomicReference<NodeId> loopbackKey) {
        this.config = config;
        this.node = node;
        this.listeners = listeners;
        this.keys = keys;
        this.loopbackKey = loopbackKey;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * The process-wide runtime, started from {@link OverlayConfig#fromSystemProperties()} on the
     * first call (once, whichever thread gets there first; the others wait). If that fails, this
     * and every later call throws an exception of the same type with the same message; no node is
     * left half-started.
     *
     * @throws IllegalArgumentException when the configuration is wrong (the message names the key)
     * @throws IllegalStateException when the node could not start (e.g. its UDP port is taken), or
     *     when called from the runtime's own start-up
     */
    public static OverlayRuntime get() {
        OverlayRuntime r = global;
        if (r != null) {
            return r;
        }
        GLOBAL_LOCK.lock();
        try {
            if (global != null) {
                return global;
            }
            if (globalFailure != null) {
                throw again(globalFailure);
            }
            checkNotStarting();
            try {
                starting = Thread.currentThread();
                r = launch(OverlayConfig.fromSystemProperties());
            } catch (IOException e) {
                globalFailure = new IllegalStateException("overlay: the node did not start: " + e.getMessage(), e);
                throw again(globalFailure);
            } catch (RuntimeException e) {
                globalFailure = e;
                throw again(e);
            } finally {
                starting = null;
            }
            becomeGlobal(r);
            return r;
        } finally {
            GLOBAL_LOCK.unlock();
        }
    }

    /**
     * Starts the process-wide runtime from {@code config} (an agent, a test) instead of the system
     * properties. It replaces a failure {@link #get()} may have recorded.
     *
     * @throws IllegalStateException when a process-wide runtime is already running
     * @throws IOException when the node cannot start
     */
    public static OverlayRuntime start(OverlayConfig config) throws IOException {
        GLOBAL_LOCK.lock();
        try {
            if (global != null) {
                throw new IllegalStateException("the overlay runtime is already running as " + global
                        + "; close it first");
            }
            checkNotStarting();
            OverlayRuntime r;
            try {
                starting = Thread.currentThread();
                r = launch(config);
            } finally {
                starting = null;
            }
            globalFailure = null;
            becomeGlobal(r);
            return r;
        } finally {
            GLOBAL_LOCK.unlock();
        }
    }

    /**
     * Starts a runtime that is not the process-wide one: nothing but its caller uses it, and it
     * installs no name resolution. Close it when done.
     */
    public static OverlayRuntime create(OverlayConfig config) throws IOException {
        return launch(config);
    }

    /** The process-wide runtime if it is running, else null; never starts it. */
    public static OverlayRuntime current() {
        return global;
    }

    /** Closes the process-wide runtime if any and forgets a recorded start-up failure (tests). */
    static void reset() {
        GLOBAL_LOCK.lock();
        try {
            OverlayRuntime r = global;
            if (r != null) {
                r.close();
            }
            global = null;
            globalFailure = null;
        } finally {
            GLOBAL_LOCK.unlock();
        }
    }

    private static void checkNotStarting() {
        if (starting == Thread.currentThread()) {
            throw new IllegalStateException("the overlay runtime was asked for while it is starting, by its own"
                    + " start-up (the node must open its UDP socket and selector from the platform provider)");
        }
    }

    /** A new exception for this caller's stack, of the first failure's kind and message, caused by it. */
    private static RuntimeException again(RuntimeException first) {
        if (first instanceof IllegalArgumentException) {
            return new IllegalArgumentException(first.getMessage(), first);
        }
        return new IllegalStateException(first.getMessage(), first);
    }

    private static void becomeGlobal(OverlayRuntime r) {
        global = r;
        OverlayResolver.Status s = OverlayResolver.install(r);
        LOG.log(System.Logger.Level.INFO, "overlay runtime " + r.id() + " on udp " + Endpoints.format(r.node.localAddress())
                + (r.config.serve().isEmpty() ? "" : ", serving overlay ports " + r.config.serve())
                + "; name resolution " + (s.installed() ? "installed: " : "not installed: ") + s.detail());
    }

    private static OverlayRuntime launch(OverlayConfig config) throws IOException {
        List<NodeId> configured = new ArrayList<>();
        configured.add(config.identity().id());
        for (PeerSpec p : config.peers()) {
            configured.add(p.id());
        }
        for (RendezvousSpec r : config.rendezvous()) {
            if (r.key() != null) {
                configured.add(r.key());
            }
        }
        configured.addAll(config.hosts().values());
        KeyBook keys = new KeyBook(configured, KeyBook.DEFAULT_CAPACITY);
        Node node = Node.start(config.nodeConfig());
        Map<Integer, StreamListener> listeners = new LinkedHashMap<>();
        AtomicReference<NodeId> loopbackKey = new AtomicReference<>();
        try {
            for (int port : config.serve()) {
                listeners.put(port, node.listen(port, admission(config, loopbackKey)));
            }
            node.addListener(e -> {
                if (e.kind() == SessionEvent.Kind.ESTABLISHED_AS_INITIATOR
                        || e.kind() == SessionEvent.Kind.ESTABLISHED_AS_RESPONDER) {
                    keys.learn(e.peer());
                }
            });
        } catch (RuntimeException e) {
            for (StreamListener l : listeners.values()) {
                l.close();
            }
            node.close();
            throw e;
        }
        return new OverlayRuntime(config, node, new java.util.concurrent.ConcurrentHashMap<>(listeners), keys,
                loopbackKey);
    }

    /** Who may open streams to a served port: the configured keys, and this runtime's own loopback node. */
    private static java.util.function.Predicate<NodeId> admission(OverlayConfig config, AtomicReference<NodeId> loopbackKey) {
        return peer -> config.admits(peer) || peer.equals(loopbackKey.get());
    }

    /**
     * Stops the node and its listeners. Closing the process-wide runtime makes {@link #get()} start
     * a new one on its next call, and removes the name resolution installed for it.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        GLOBAL_LOCK.lock();
        try {
            if (global == this) {
                global = null;
            }
        } finally {
            GLOBAL_LOCK.unlock();
        }
        OverlayResolver.uninstallFor(this);
        listenerLock.lock();
        try {
            for (StreamListener l : listeners.values()) {
                l.close();
            }
        } finally {
            listenerLock.unlock();
        }
        loopbackLock.lock();
        try {
            if (loopback != null) {
                loopback.close();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the loopback node of " + id() + ": " + e.getMessage());
        } finally {
            loopbackLock.unlock();
        }
        try {
            node.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing overlay node " + id() + ": " + e.getMessage(), e);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------ accessors

    public OverlayConfig config() {
        return config;
    }

    /** The node, for status (e.g. {@link Node#rendezvousStatus()}) and direct use. */
    public Node node() {
        return node;
    }

    /** This node's key. */
    public NodeId id() {
        return node.id();
    }

    /** The ports served on the overlay only, in configuration order. */
    public List<Integer> servedPorts() {
        return config.serve();
    }

    /** Whether {@code port} is a {@code serve} port of the configuration (true even once closed). */
    @Override
    public boolean serves(int port) {
        return config.serve().contains(port);
    }

    // ------------------------------------------------------------------ OverlayBackend

    /**
     * True for an IPv6 handle ({@code fd6f::/16}) and for an unresolved address whose host ends in
     * {@code .overlay}: a {@code <key>.overlay} name or an alias (every alias ends in
     * {@code .overlay}, so an unknown one is an overlay name that fails to resolve, never a DNS
     * query).
     */
    @Override
    public boolean isOverlay(InetSocketAddress target) {
        return isOverlayAddress(target) || isLoopbackToServed(target, p -> Backends.owns(this, p));
    }

    /**
     * True for a loopback address ({@code 127.0.0.0/8}, {@code ::1}) on a port where
     * {@code boundOverlayOnly} says a server of this JVM is bound on the overlay now: such a port
     * has no kernel listener of ours, so a connection from this same JVM to it over loopback (H2's
     * {@code Server.start()} checks its own port that way, as do health checks and admin tools
     * embedded in servers) is carried over the overlay to that server, as loopback reaches a kernel
     * server. Other processes still find the port closed. While no overlay server of ours is bound
     * there (before the bind, after the close, or a kernel server opened before a late attach),
     * loopback goes to the kernel as usual, so whatever listens there is reached.
     */
    static boolean isLoopbackToServed(InetSocketAddress target, java.util.function.IntPredicate boundOverlayOnly) {
        return target != null && !target.isUnresolved() && target.getAddress().isLoopbackAddress()
                && target.getPort() > 0 && boundOverlayOnly.test(target.getPort());
    }

    /** {@link #isOverlay} without a runtime. */
    public static boolean isOverlayAddress(InetSocketAddress target) {
        if (target == null) {
            return false;
        }
        if (target.isUnresolved()) {
            return NodeId.isOverlayName(target.getHostString());
        }
        return NodeId.isHandle(target.getAddress());
    }

    /**
     * Opens a stream to {@code target}: a {@code <key>.overlay} name or alias (unresolved), or a
     * handle. A handle of a key this node knows (configured, connected to, resolved before) is
     * opened at once; any other is first mapped back to its key by the rendezvous servers
     * ({@link Node#resolve}). {@code timeout} bounds the lookup and path finding (null, zero or
     * negative: {@link #DEFAULT_CONNECT_TIMEOUT}). The future completes with the stream once its
     * OPEN is sent; it fails with an {@link UnknownHostException} for a malformed name or unknown
     * alias, and with a {@link ConnectException} for a handle no rendezvous knows, a key with no
     * path, port 0, this node itself or a closed runtime. Cancelling the future abandons the open
     * (a stream arriving later is reset).
     */
    @Override
    public CompletableFuture<OverlayStream> open(InetSocketAddress target, Duration timeout) {
        CompletableFuture<OverlayStream> result = new CompletableFuture<>();
        Duration t = timeout == null || timeout.isZero() || timeout.isNegative() ? DEFAULT_CONNECT_TIMEOUT : timeout;
        long deadline = System.nanoTime() + t.toNanos();
        if (closed) {
            result.completeExceptionally(new ConnectException("cannot connect to " + describe(target)
                    + ": overlay node " + id() + " is closed"));
            return result;
        }
        int port = target.getPort();
        if (port < 1) {
            result.completeExceptionally(new ConnectException("cannot connect to " + describe(target)
                    + ": overlay ports are 1..65535"));
            return result;
        }
        if (isLoopbackToServed(target, p -> Backends.owns(this, p))) {
            Node from;
            try {
                from = loopbackNode();
            } catch (IOException | RuntimeException e) {
                ConnectException c = new ConnectException("cannot connect to " + describe(target)
                        + " (a served port, over this JVM's loopback node): " + e.getMessage());
                c.initCause(e);
                result.completeExceptionally(c);
                return result;
            }
            openTo(from, id(), port, t, target, result);
            return result;
        }
        NodeId key;
        try {
            key = keyOf(target);
        } catch (UnknownHostException e) {
            result.completeExceptionally(e);
            return result;
        }
        if (key != null) {
            openTo(node, key, port, t, target, result);
            return result;
        }
        Inet6Address handle = (Inet6Address) target.getAddress();
        CompletableFuture<NodeId> resolved;
        try {
            resolved = node.resolve(handle, t);
        } catch (IllegalStateException e) {
            result.completeExceptionally(new ConnectException("cannot connect to " + describe(target) + ": " + e.getMessage()));
            return result;
        }
        resolved.whenComplete((found, failure) -> {
            if (failure != null) {
                ConnectException c = new ConnectException("cannot connect to " + describe(target)
                        + ": no key known for this overlay handle (" + unwrap(failure).getMessage() + ")");
                c.initCause(unwrap(failure));
                result.completeExceptionally(c);
                return;
            }
            keys.learn(found);
            openTo(node, found, port, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())), target, result);
        });
        return result;
    }

    private void openTo(Node from, NodeId key, int port, Duration timeout, InetSocketAddress target,
                        CompletableFuture<OverlayStream> result) {
        if (from == node && key.equals(id())) {
            result.completeExceptionally(new ConnectException("cannot connect to " + describe(target)
                    + ": it is this node itself (" + key + "); the overlay does not loop back"));
            return;
        }
        keys.learn(key);
        if (result.isDone()) {
            return; // cancelled while the handle was being resolved
        }
        CompletableFuture<OverlayStream> opening;
        try {
            opening = from.openAsync(key, port, timeout);
        } catch (IllegalStateException e) {
            result.completeExceptionally(new ConnectException("cannot connect to " + describe(target) + ": " + e.getMessage()));
            return;
        }
        opening.whenComplete((stream, failure) -> {
            if (failure != null) {
                Throwable cause = unwrap(failure);
                if (cause instanceof IOException) {
                    result.completeExceptionally(cause);
                } else {
                    ConnectException c = new ConnectException("cannot connect to " + describe(target) + ": " + cause.getMessage());
                    c.initCause(cause);
                    result.completeExceptionally(c);
                }
            } else if (!result.complete(stream)) {
                stream.reset(StreamError.NO_ERROR); // abandoned (cancelled) meanwhile
            }
        });
    }

    /**
     * The node that carries this JVM's loopback connections to its own served ports: started on
     * first use with a throwaway key, bound to loopback, with this runtime's node as its one peer
     * (a normal Noise session over loopback UDP, so the streams are exactly what remote peers get).
     * Its key is admitted on the served ports whatever {@code allow} says: it is this process.
     */
    private Node loopbackNode() throws IOException {
        loopbackLock.lock();
        try {
            if (closed) {
                throw new IOException("overlay node " + id() + " is closed");
            }
            if (loopback == null) {
                InetSocketAddress ours = node.localAddress();
                InetAddress host = ours.getAddress().isAnyLocalAddress()
                        ? (ours.getAddress() instanceof Inet6Address ? InetAddress.getByName("::1")
                        : InetAddress.getByName("127.0.0.1"))
                        : ours.getAddress();
                InetSocketAddress to = new InetSocketAddress(host, ours.getPort());
                InetSocketAddress bind = new InetSocketAddress(host, 0); // never on more interfaces than ours
                Identity throwaway = Identity.generate(new SecureRandom());
                loopbackKey.set(throwaway.id());
                Node n = Node.start(NodeConfig.of(throwaway, bind, List.of(new PeerSpec(id(), to)))
                        .withManagement(false)); // part of this runtime, not a node of its own in JMX
                loopback = n;
                LOG.log(System.Logger.Level.DEBUG, "loopback node " + n.id() + " for same-JVM connections to served ports");
            }
            return loopback;
        } finally {
            loopbackLock.unlock();
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String describe(InetSocketAddress target) {
        if (target.isUnresolved()) {
            return target.getHostString() + ":" + target.getPort();
        }
        return Endpoints.format(target);
    }

    /**
     * The key {@code target} names, or null for a handle whose key is not known here.
     *
     * @throws UnknownHostException for a malformed name, an unknown alias, or a non-overlay address
     */
    private NodeId keyOf(InetSocketAddress target) throws UnknownHostException {
        if (target.isUnresolved()) {
            return keyOfName(target.getHostString());
        }
        InetAddress a = target.getAddress();
        if (!NodeId.isHandle(a)) {
            throw new UnknownHostException(describe(target) + " is not an overlay address (neither a handle in fd6f::/16"
                    + " nor a name ending in " + NodeId.SUFFIX + ")");
        }
        NodeId k = keys.lookup(a);
        if (k != null) {
            return k;
        }
        // Resolved by name (our resolver keeps the name on the address): the name says the key.
        String host = target.getHostString();
        if (NodeId.isOverlayName(host)) {
            try {
                NodeId named = keyOfName(host);
                if (named.handle().equals(a)) {
                    return named;
                }
            } catch (UnknownHostException e) {
                // the address decides; ask the rendezvous
            }
        }
        return null;
    }

    /** The key of a {@code <key>.overlay} name or an alias; throws naming what is wrong. */
    private NodeId keyOfName(String host) throws UnknownHostException {
        if (!NodeId.isOverlayName(host)) {
            throw new UnknownHostException(host + ": not an overlay name (names end in " + NodeId.SUFFIX + ")");
        }
        String alias = OverlayConfig.asciiLowerCase(host.endsWith(".") ? host.substring(0, host.length() - 1) : host);
        NodeId k = config.hosts().get(alias);
        if (k != null) {
            return k;
        }
        try {
            return NodeId.parse(host);
        } catch (IllegalArgumentException e) {
            String aliases = config.hostsFile() == null ? "no hosts file is configured (overlay.hosts)"
                    : "it is no alias in " + config.hostsFile();
            throw new UnknownHostException(host + ": not a node name (" + e.getMessage() + ") and " + aliases);
        }
    }

    /**
     * The overlay-only listener of a {@code serve} port, or null for any other port. Each served
     * port's listener is opened when the runtime starts, so streams that arrive before the
     * application binds wait in its backlog; when the port's owner (server channel or server
     * socket, one at a time: see {@link Backends#claimServed}) closes, it closes the listener, so
     * connections are refused until the next bind, whose call here opens a new one, as binding a
     * kernel port again would. Null once the runtime is closed.
     */
    @Override
    public StreamListener listener(int port) {
        StreamListener l = listeners.get(port);
        if (l == null || !l.isClosed() || closed) {
            return closed ? null : l;
        }
        listenerLock.lock();
        try {
            l = listeners.get(port);
            if (!l.isClosed() || closed) {
                return closed ? null : l;
            }
            // The closed listener leaves the node's table just after it is marked closed: retry briefly.
            for (int attempt = 0; ; attempt++) {
                try {
                    l = node.listen(port, admission(config, loopbackKey));
                    break;
                } catch (IllegalStateException stillThere) {
                    if (attempt >= 10_000) {
                        throw stillThere;
                    }
                    Thread.onSpinWait();
                }
            }
            listeners.put(port, l);
            return l;
        } finally {
            listenerLock.unlock();
        }
    }

    @Override
    public Inet6Address localHandle() {
        return node.id().handle();
    }

    /** The peer's handle; the key is remembered so the handle can be mapped back (reverse lookups). */
    @Override
    public Inet6Address handleOf(NodeId peer) {
        if (peer.equals(loopbackKey.get())) {
            return IPV6_LOOPBACK; // a same-JVM loopback connection, as its server sees it
        }
        keys.learn(peer);
        return peer.handle();
    }

    private static final Inet6Address IPV6_LOOPBACK;

    static {
        try {
            IPV6_LOOPBACK = (Inet6Address) InetAddress.getByAddress("localhost", new byte[] {0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ------------------------------------------------------------------ names

    /**
     * The handle a {@code <key>.overlay} name or an alias names, carrying {@code host} as its host
     * name (as the JDK's resolver does), without any network traffic.
     *
     * @throws UnknownHostException for a name that does not end in {@code .overlay}, a malformed key
     *     or an unknown alias, saying which
     */
    public Inet6Address resolve(String host) throws UnknownHostException {
        if (host == null) {
            throw new UnknownHostException("null is not an overlay name");
        }
        NodeId key = keyOfName(host);
        keys.learn(key);
        return (Inet6Address) InetAddress.getByAddress(host, key.handle().getAddress());
    }

    /**
     * The {@code <base32>.overlay} name of the node whose handle is {@code address}, when this node
     * knows that key (configured, aliased, connected to or from, resolved); null otherwise and for
     * addresses that are no handle. Never asks the network.
     */
    public String reverse(InetAddress address) {
        NodeId k = keys.lookup(address);
        return k == null ? null : k.name();
    }

    /** The key behind a handle when known here (see {@link #reverse}), else null. */
    public NodeId keyOf(InetAddress handle) {
        return keys.lookup(handle);
    }

    KeyBook keyBook() {
        return keys;
    }

    @Override
    public String toString() {
        return "overlay runtime " + id() + " on udp " + Endpoints.format(node.localAddress())
                + (closed ? " (closed)" : "");
    }
}
