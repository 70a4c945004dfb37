package dev.overlay.management;

import dev.overlay.identity.NodeId;
import dev.overlay.node.Node;
import dev.overlay.node.NodeSnapshot;
import dev.overlay.node.PeerSnapshot;
import dev.overlay.session.SessionEvent;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * A node's MBeans in the platform MBean server: one {@link NodeMXBean}, and a {@link PeerMXBean}
 * per peer with a session, added and removed as sessions come and peers are forgotten (on session
 * events, on every read, and every {@value #REFRESH_SECONDS} s). Nothing here may break the node:
 * failures are logged and the MBeans are skipped.
 */
public final class NodeManagement implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.overlay.management");
    /** The JMX domain. */
    public static final String DOMAIN = "dev.overlay";
    /**
     * A system property set (to {@code jmx}) once a node registered its MBeans in this JVM:
     * {@code overlay status} reads it through the attach API to pick JVMs worth connecting to,
     * without starting the management agent of unrelated ones.
     */
    public static final String MARKER_PROPERTY = "dev.overlay.management";
    /** How long a read waits for the node's event loop. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
    /**
     * A snapshot taken for a read this recently answers further reads: a JMX client reads
     * attributes one by one, and they should come from one consistent view.
     */
    private static final long CACHE_NANOS = 100_000_000L;
    static final int REFRESH_SECONDS = 5;
    /** Names tried for a node whose 16-character name is taken (the same key twice in one JVM). */
    private static final int MAX_SUFFIX = 100;

    private final Node node;
    private final MBeanServer server;
    private final ObjectName nodeName;
    /** The {@code name} value of the node's MBean (the peers' {@code node} key). */
    private final String nodeKey;
    /** Guarded by this. */
    private final Map<NodeId, ObjectName> peerNames = new HashMap<>();
    private boolean closed;
    private NodeSnapshot cached;
    private long cachedAt;
    private ScheduledFuture<?> refresh;

    private NodeManagement(Node node, MBeanServer server, ObjectName nodeName, String nodeKey) {
        this.node = node;
        this.server = server;
        this.nodeName = nodeName;
        this.nodeKey = nodeKey;
    }

    /** The shared thread that keeps the peers' MBeans in step (daemon; idle when nothing runs). */
    private static final class Executor {
        static final ScheduledExecutorService INSTANCE = create();

        private static ScheduledExecutorService create() {
            ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "overlay-management");
                t.setDaemon(true);
                return t;
            });
            e.setRemoveOnCancelPolicy(true);
            return e;
        }
    }

    /** The first 16 base32 characters of {@code id}: the {@code name} key of its MBeans. */
    public static String key(NodeId id) {
        return id.name().substring(0, 16);
    }

    /**
     * Registers {@code node}'s MBeans; returns what unregisters them, or null when registering
     * failed (logged; the node runs on without MBeans).
     */
    public static AutoCloseable register(Node node) {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            String base = key(node.id());
            for (int i = 1; i <= MAX_SUFFIX; i++) {
                String k = i == 1 ? base : base + "-" + i;
                ObjectName name = new ObjectName(DOMAIN + ":type=Node,name=" + k);
                NodeManagement m = new NodeManagement(node, server, name, k);
                try {
                    server.registerMBean(new NodeBean(m), name);
                } catch (InstanceAlreadyExistsException taken) {
                    continue;
                }
                if (i > 1) {
                    LOG.log(System.Logger.Level.INFO, "another node with key " + base + " is registered in this JVM; "
                            + "this one's MBean is " + name);
                }
                m.start();
                mark();
                return m;
            }
            LOG.log(System.Logger.Level.WARNING, "no MBean for node " + base + ": " + MAX_SUFFIX
                    + " nodes with its key are registered already");
            return null;
        } catch (JMException | RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING, "no MBeans for node " + node.id().shortName() + ": " + e);
            return null;
        }
    }

    private static void mark() {
        try {
            System.setProperty(MARKER_PROPERTY, "jmx");
        } catch (SecurityException e) {
            // only overlay status' discovery of this JVM suffers; naming its PID still works
        }
    }

    private void start() {
        node.addListener(this::onSessionEvent);
        synchronized (this) {
            refresh = Executor.INSTANCE.scheduleWithFixedDelay(this::refreshAsync, REFRESH_SECONDS, REFRESH_SECONDS,
                    TimeUnit.SECONDS);
        }
        refreshAsync();
    }

    /** The node's MBean name. */
    public ObjectName objectName() {
        return nodeName;
    }

    Node node() {
        return node;
    }

    String nodeKey() {
        return nodeKey;
    }

    /** Runs on the event loop: must not block. */
    private void onSessionEvent(SessionEvent e) {
        switch (e.kind()) {
            case ESTABLISHED_AS_INITIATOR, ESTABLISHED_AS_RESPONDER, IDLE_CLOSED, UNREACHABLE ->
                    Executor.INSTANCE.execute(this::refreshAsync);
            default -> { }
        }
    }

    /** Takes a snapshot without blocking this thread and brings the peers' MBeans in step with it. */
    private void refreshAsync() {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        if (!node.isRunning()) {
            return;
        }
        try {
            node.snapshot().orTimeout(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).whenCompleteAsync((s, e) -> {
                if (s != null) {
                    accept(s);
                } else {
                    LOG.log(System.Logger.Level.DEBUG, "status of node " + nodeKey + " not refreshed: " + e);
                }
            }, Executor.INSTANCE);
        } catch (IllegalStateException e) {
            // closed meanwhile
        }
    }

    /** A snapshot for a read: a fresh one, or one taken within the last 250 ms. */
    NodeSnapshot snapshot() {
        synchronized (this) {
            if (cached != null && System.nanoTime() - cachedAt < CACHE_NANOS) {
                return cached;
            }
        }
        NodeSnapshot s = node.snapshot(READ_TIMEOUT);
        synchronized (this) {
            cached = s;
            cachedAt = System.nanoTime();
        }
        accept(s);
        return s;
    }

    /** The peer's part of a snapshot, or an IllegalStateException when the node forgot it. */
    PeerSnapshot peer(NodeId id) {
        PeerSnapshot p = snapshot().peer(id);
        if (p == null) {
            throw new IllegalStateException("peer " + id.shortName() + " is no longer known to node " + nodeKey);
        }
        return p;
    }

    private synchronized void accept(NodeSnapshot s) {
        if (closed) {
            return;
        }
        Set<NodeId> known = new HashSet<>();
        for (PeerSnapshot p : s.peers()) {
            NodeId id = p.session().id();
            known.add(id);
            if (p.session().established() && !peerNames.containsKey(id)) {
                registerPeer(id);
            }
        }
        for (Iterator<Map.Entry<NodeId, ObjectName>> it = peerNames.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<NodeId, ObjectName> e = it.next();
            if (!known.contains(e.getKey())) {
                unregister(e.getValue());
                it.remove();
            }
        }
    }

    private void registerPeer(NodeId id) {
        try {
            ObjectName name = new ObjectName(DOMAIN + ":type=Peer,node=" + nodeKey + ",name=" + key(id));
            server.registerMBean(new PeerBean(this, id), name);
            peerNames.put(id, name);
        } catch (JMException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "no MBean for peer " + id.shortName() + " of node " + nodeKey + ": " + e);
            peerNames.put(id, null); // not tried again while the peer is known
        }
    }

    private void unregister(ObjectName name) {
        if (name == null) {
            return;
        }
        try {
            server.unregisterMBean(name);
        } catch (JMException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "unregistering " + name + ": " + e);
        }
    }

    /** Unregisters the node's and its peers' MBeans. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (refresh != null) {
            refresh.cancel(false);
        }
        for (ObjectName n : peerNames.values()) {
            unregister(n);
        }
        peerNames.clear();
        cached = null;
        unregister(nodeName);
    }
}
