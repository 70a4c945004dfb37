package dev.overlay.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.Identity;
import dev.overlay.session.SessionEvent;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Two nodes in one JVM over real UDP on loopback, through the public API. */
class NodeTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void twoNodesHandshakeAndAnswerPingsOverLoopback() throws Exception {
        Identity a = Identity.generate(new SecureRandom());
        Identity b = Identity.generate(new SecureRandom());
        try (Node server = Node.start(NodeConfig.of(a, ANY_LOOPBACK, List.of()))) {
            List<SessionEvent> serverEvents = new CopyOnWriteArrayList<>();
            server.addListener(serverEvents::add);
            PeerSpec toServer = new PeerSpec(a.id(), server.localAddress());
            try (Node client = Node.start(NodeConfig.of(b, ANY_LOOPBACK, List.of(toServer)))) {
                for (int seq = 1; seq <= 5; seq++) {
                    PingResult r = client.ping(a.id(), seq).get(10, TimeUnit.SECONDS);
                    assertThat(r.seq()).isEqualTo(seq);
                    assertThat(r.path()).isEqualTo("direct");
                    assertThat(r.endpoint()).isEqualTo(server.localAddress());
                    assertThat(r.rtt()).isPositive();
                }
                assertThat(client.peerStatus(a.id()).get(5, TimeUnit.SECONDS).established()).isTrue();
                assertThat(serverEvents).extracting(SessionEvent::kind)
                        .containsExactlyInAnyOrder(SessionEvent.Kind.ESTABLISHED_AS_RESPONDER, SessionEvent.Kind.PATH_CHANGED);
                assertThat(serverEvents).filteredOn(e -> e.kind() == SessionEvent.Kind.PATH_CHANGED).singleElement()
                        .extracting(SessionEvent::path).hasToString("direct " + Endpoints.format(client.localAddress()));
                assertThat(serverEvents).allMatch(e -> e.peer().equals(b.id()));
            }
        }
    }

    @Test
    void pingingAKeyWithNoKnownAddressFailsAtOnceSayingWhatIsMissing() throws Exception {
        Identity a = Identity.generate(new SecureRandom());
        try (Node n = Node.start(NodeConfig.of(a, ANY_LOOPBACK, List.of()))) {
            Identity stranger = Identity.generate(new SecureRandom());
            assertThatThrownBy(() -> n.ping(stranger.id(), 1).get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("no address known for " + stranger.id().name());
        }
    }

    @Test
    void bindingAPortInUseFailsNamingTheAddress() throws Exception {
        Identity a = Identity.generate(new SecureRandom());
        try (Node first = Node.start(NodeConfig.of(a, ANY_LOOPBACK, List.of()))) {
            InetSocketAddress taken = first.localAddress();
            assertThatThrownBy(() -> Node.start(NodeConfig.of(a, taken, List.of())))
                    .hasMessageContaining("cannot bind UDP 127.0.0.1:" + taken.getPort());
        }
    }

    @Test
    void aClosedNodeRefusesNewWorkClearly() throws Exception {
        Identity a = Identity.generate(new SecureRandom());
        Node n = Node.start(NodeConfig.of(a, ANY_LOOPBACK, List.of()));
        n.close();
        n.close(); // idempotent
        assertThatThrownBy(() -> n.ping(a.id(), 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheNodeAndCloseFreesThePort() throws Exception {
        Identity a = Identity.generate(new SecureRandom());
        Identity b = Identity.generate(new SecureRandom());
        Node server = Node.start(NodeConfig.of(a, ANY_LOOPBACK, List.of()));
        server.addListener(e -> {
            throw new IllegalStateException("buggy listener");
        });
        InetSocketAddress addr = server.localAddress();
        try (Node client = Node.start(NodeConfig.of(b, ANY_LOOPBACK, List.of(new PeerSpec(a.id(), addr))))) {
            client.ping(a.id(), 1).get(10, TimeUnit.SECONDS);
            // The server's loop survived the listener: it still answers.
            assertThat(client.ping(a.id(), 2).get(10, TimeUnit.SECONDS).seq()).isEqualTo(2);
            assertThat(server.peerStatus(b.id()).get(5, TimeUnit.SECONDS).established()).isTrue();
        }
        server.close();
        try (java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open()) {
            ch.bind(addr); // throws if close() leaked the socket
        }
    }

    @Test
    void aReusedPingSequenceNumberIsRejectedWhileTheFirstIsInFlight() throws Exception {
        Identity a = Identity.generate(new SecureRandom());
        Identity silent = Identity.generate(new SecureRandom());
        try (java.nio.channels.DatagramChannel nobody = java.nio.channels.DatagramChannel.open()) {
            nobody.bind(ANY_LOOPBACK);
            InetSocketAddress nowhere = (InetSocketAddress) nobody.getLocalAddress();
            try (Node n = Node.start(NodeConfig.of(a, ANY_LOOPBACK, List.of(new PeerSpec(silent.id(), nowhere))))) {
                n.ping(silent.id(), 7);
                assertThatThrownBy(() -> n.ping(silent.id(), 7).get(5, TimeUnit.SECONDS))
                        .hasMessageContaining("already in flight");
            }
        }
    }
}
