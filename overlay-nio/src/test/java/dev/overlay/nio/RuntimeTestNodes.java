package dev.overlay.nio;

import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import dev.overlay.node.Endpoints;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.rendezvous.RendezvousClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Runtimes on loopback around one rendezvous server, for tests; closes everything it started. */
final class RuntimeTestNodes implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    private final Path dir;
    private final List<AutoCloseable> started = new ArrayList<>();
    private Node rendezvous;
    private int files;

    RuntimeTestNodes(Path dir) {
        this.dir = dir;
    }

    /** A rendezvous server (started on first use). */
    Node rendezvous() throws IOException {
        if (rendezvous == null) {
            rendezvous = Node.start(NodeConfig.of(Identity.generate(new SecureRandom()), LOOPBACK, List.of())
                    .asRendezvousServer());
            started.add(rendezvous);
        }
        return rendezvous;
    }

    /** {@code rendezvous=KEY@HOST:PORT} of {@link #rendezvous()}. */
    String rendezvousSpec() throws IOException {
        return rendezvous().id().name() + "@" + Endpoints.format(rendezvous().localAddress());
    }

    /** A new key file; returns its path (the key is in it). */
    Path keyFile() throws IOException {
        Path f = dir.resolve("node" + (files++) + ".key");
        KeyFile.loadOrCreate(f, new SecureRandom());
        return f;
    }

    Identity identity(Path keyFile) throws IOException {
        return KeyFile.read(keyFile);
    }

    /** Configuration values for a runtime on loopback with the given key file, plus {@code keyValues}. */
    Map<String, String> options(Path keyFile, String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("identity", keyFile.toString());
        m.put("bind", "127.0.0.1:0");
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    /** A runtime that is not the process-wide one. */
    OverlayRuntime runtime(Map<String, String> options) throws IOException {
        OverlayRuntime r = OverlayRuntime.create(OverlayConfig.parse(options, "test"));
        started.add(r);
        return r;
    }

    /** Waits until {@code r} is registered with every rendezvous server it has. */
    static void awaitRegistered(OverlayRuntime r) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            List<RendezvousClient.ServerStatus> s = r.node().rendezvousStatus().get(5, TimeUnit.SECONDS);
            if (!s.isEmpty() && s.stream().allMatch(RendezvousClient.ServerStatus::up)) {
                return;
            }
            LockSupport.parkNanos(5_000_000L); // re-check every 5 ms until the deadline
        }
        throw new AssertionError(r + " did not register within " + TIMEOUT);
    }

    @Override
    public void close() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }
}
