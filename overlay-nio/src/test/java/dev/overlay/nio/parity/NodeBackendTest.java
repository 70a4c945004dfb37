package dev.overlay.nio.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.Identity;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The parity suite's test backend itself, without the provider: it must be right before it can judge. */
class NodeBackendTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private Node a;
    private Node b;
    private NodeBackend backend;

    @BeforeEach
    void start() throws Exception {
        SecureRandom random = new SecureRandom();
        Identity ia = Identity.generate(random);
        Identity ib = Identity.generate(random);
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        b = Node.start(NodeConfig.of(ib, loopback, List.of()));
        a = Node.start(NodeConfig.of(ia, loopback, List.of(new PeerSpec(ib.id(), b.localAddress()))));
        backend = new NodeBackend(a, b, key -> key.equals(ia.id()));
    }

    @AfterEach
    void stop() throws Exception {
        a.close();
        b.close();
    }

    @Test
    void namesHandlesAndKernelAddresses() {
        assertThat(backend.isOverlay(new InetSocketAddress(b.id().handle(), 80))).isTrue();
        assertThat(backend.isOverlay(InetSocketAddress.createUnresolved(b.id().name(), 80))).isTrue();
        assertThat(backend.isOverlay(new InetSocketAddress(InetAddress.getLoopbackAddress(), 80))).isFalse();
        assertThat(backend.isOverlay(InetSocketAddress.createUnresolved("example.org", 80))).isFalse();
        assertThat(backend.localHandle()).isEqualTo(a.id().handle());
    }

    @Test
    void opensToServedPortsOnly() throws Exception {
        assertThat(backend.listener(7100)).isNull();
        backend.serve(7100);
        StreamListener listener = backend.listener(7100);
        assertThat(listener).isNotNull();
        assertThat(backend.listener(7100)).isSameAs(listener);

        OverlayStream s = backend.open(new InetSocketAddress(b.id().handle(), 7100), TIMEOUT)
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        s.awaitOpen(TIMEOUT);
        assertThat(s.isOpen()).isTrue();
        OverlayStream accepted = listener.accept(TIMEOUT);
        assertThat(accepted.peer()).isEqualTo(a.id());
        assertThat(backend.handleOf(accepted.peer())).isEqualTo(a.id().handle());

        // By name too.
        OverlayStream byName = backend.open(InetSocketAddress.createUnresolved(b.id().name(), 7100), TIMEOUT)
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        byName.awaitOpen(TIMEOUT);
        listener.accept(TIMEOUT).close();

        // A closed listener is replaced on the next call.
        listener.close();
        StreamListener again = backend.listener(7100);
        assertThat(again).isNotSameAs(listener);
        assertThat(again.isClosed()).isFalse();

        // Nobody on this port: the open is refused.
        OverlayStream refused = backend.open(new InetSocketAddress(b.id().handle(), 7101), TIMEOUT)
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThatThrownBy(() -> refused.awaitOpen(TIMEOUT)).isInstanceOf(ConnectException.class);
        assertThat(refused.openFailure()).isInstanceOf(ConnectException.class);
    }

    @Test
    void unknownHandlesAndBadNamesFail() {
        byte[] raw = b.id().handle().getAddress();
        raw[15] ^= 1;
        InetSocketAddress stranger;
        try {
            stranger = new InetSocketAddress(InetAddress.getByAddress(raw), 80);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
        assertThatThrownBy(() -> backend.open(stranger, TIMEOUT).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> backend.open(InetSocketAddress.createUnresolved("nonsense.overlay", 80), TIMEOUT)
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(UnknownHostException.class);
    }
}
