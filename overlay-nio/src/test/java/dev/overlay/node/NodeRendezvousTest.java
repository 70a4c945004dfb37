package dev.overlay.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.rendezvous.RendezvousClient;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Nodes that know no address for each other, only a rendezvous server (all in one JVM over real
 * UDP on loopback): registration with key discovery, lookup by key and by IPv6 handle, and the
 * errors when nobody knows a key. Paths through real NATs and relays are the NAT lab's job
 * (overlay-agent's NatTraversalIT).
 */
class NodeRendezvousTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void aNodeConnectsToAKeyItOnlyKnowsThroughTheRendezvous() throws Exception {
        try (Node rdv = Node.start(NodeConfig.of(newIdentity(), LOOPBACK, List.of()).asRendezvousServer());
             Node server = client(rdv, false);
             Node client = client(rdv, false)) {
            awaitRegistered(server);
            StreamListener listener = server.listen(80);
            OverlayStream s = client.connect(server.id(), 80, TIMEOUT);
            OverlayStream accepted = listener.accept(TIMEOUT);
            assertThat(accepted.peer()).isEqualTo(client.id());
            OutputStream out = s.getOutputStream();
            out.write("hello through a rendezvous".getBytes(StandardCharsets.UTF_8));
            out.close();
            InputStream in = accepted.getInputStream();
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello through a rendezvous");
            // Both sit on one loopback: the candidates work, so the path ends up direct.
            PingResult r = client.ping(server.id(), 1).get(10, TimeUnit.SECONDS);
            assertThat(r.path()).isEqualTo("direct");
            assertThat(r.endpoint()).isEqualTo(server.localAddress());
        }
    }

    @Test
    void aPinnedRendezvousKeyNeedsNoDiscoveryAndAHandleResolvesToItsKey() throws Exception {
        try (Node rdv = Node.start(NodeConfig.of(newIdentity(), LOOPBACK, List.of()).asRendezvousServer());
             Node server = client(rdv, true);
             Node client = client(rdv, true)) {
            awaitRegistered(server);
            NodeId resolved = client.resolve(server.id().handle(), TIMEOUT).get(10, TimeUnit.SECONDS);
            assertThat(resolved).isEqualTo(server.id());
        }
    }

    @Test
    void connectingToAKeyNoRendezvousKnowsFailsSayingSo() throws Exception {
        try (Node rdv = Node.start(NodeConfig.of(newIdentity(), LOOPBACK, List.of()).asRendezvousServer());
             Node client = client(rdv, false)) {
            awaitRegistered(client);
            NodeId stranger = newIdentity().id();
            assertThatThrownBy(() -> client.connect(stranger, 80, TIMEOUT))
                    .isInstanceOf(ConnectException.class)
                    .hasMessageContaining(stranger.name() + " is not registered at any rendezvous");
        }
    }

    @Test
    void resolvingWithoutARendezvousFailsClearly() throws Exception {
        try (Node n = Node.start(NodeConfig.of(newIdentity(), LOOPBACK, List.of()))) {
            assertThatThrownBy(() -> n.resolve(newIdentity().id().handle(), TIMEOUT).get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("no rendezvous server is configured");
        }
    }

    private static Node client(Node rdv, boolean pinned) throws Exception {
        RendezvousSpec spec = new RendezvousSpec(rdv.localAddress(), pinned ? rdv.id() : null);
        return Node.start(NodeConfig.of(newIdentity(), LOOPBACK, List.of()).withRendezvous(List.of(spec)));
    }

    private static void awaitRegistered(Node n) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            List<RendezvousClient.ServerStatus> s = n.rendezvousStatus().get(5, TimeUnit.SECONDS);
            if (!s.isEmpty() && s.stream().allMatch(RendezvousClient.ServerStatus::up)) {
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L); // re-check every 5 ms until the deadline
        }
        throw new AssertionError("node " + n.id() + " did not register within " + TIMEOUT);
    }

    private static Identity newIdentity() {
        return Identity.generate(new SecureRandom());
    }
}
