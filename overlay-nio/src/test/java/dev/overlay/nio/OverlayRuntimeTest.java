package dev.overlay.nio;

import static dev.overlay.nio.RuntimeTestNodes.TIMEOUT;
import static dev.overlay.nio.RuntimeTestNodes.awaitRegistered;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamRefusedException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runtimes in one JVM over real UDP on loopback, around one rendezvous server: a server runtime
 * serving port 7000 to one allowed key, and clients reaching it by name, alias, known handle and a
 * handle only the rendezvous knows.
 */
class OverlayRuntimeTest {
    private static final int PORT = 7000;

    @TempDir
    Path dir;
    RuntimeTestNodes nodes;
    Path serverKey;
    Path clientKey;
    OverlayRuntime server;
    OverlayRuntime client;
    Path hosts;

    @BeforeEach
    void start() throws Exception {
        nodes = new RuntimeTestNodes(dir);
        serverKey = nodes.keyFile();
        clientKey = nodes.keyFile();
        NodeId clientId = nodes.identity(clientKey).id();
        NodeId serverId = nodes.identity(serverKey).id();
        server = nodes.runtime(nodes.options(serverKey, "rendezvous", nodes.rendezvousSpec(),
                "serve", PORT + ";7001", "allow", clientId.name()));
        hosts = dir.resolve("hosts");
        Files.writeString(hosts, "db.overlay " + serverId.name() + "\n");
        client = nodes.runtime(nodes.options(clientKey, "rendezvous", nodes.rendezvousSpec(), "hosts", hosts.toString()));
        awaitRegistered(server);
    }

    @AfterEach
    void stop() throws Exception {
        nodes.close();
    }

    @Test
    void aClientReachesTheServedPortByNameByAliasAndByHandle() throws Exception {
        exchange(client, InetSocketAddress.createUnresolved(server.id().name(), PORT), "by name");
        exchange(client, InetSocketAddress.createUnresolved("DB.overlay.", PORT), "by alias");
        exchange(client, new InetSocketAddress(server.id().handle(), PORT), "by handle");
        exchange(client, new InetSocketAddress(client.resolve("db.overlay"), PORT), "by resolved alias");
        // The server learned the client's key from its session: it can name the client's handle.
        assertThat(server.reverse(client.id().handle())).isEqualTo(client.id().name());
    }

    @Test
    void aHandleOnlyTheRendezvousKnowsIsMappedBackThroughIt() throws Exception {
        // The allowed key again, in a runtime with no hosts file: it has never seen the server's key.
        client.close();
        OverlayRuntime fresh = nodes.runtime(nodes.options(clientKey, "rendezvous", nodes.rendezvousSpec()));
        Inet6Address handle = server.id().handle();
        assertThat(fresh.reverse(handle)).isNull();

        exchange(fresh, new InetSocketAddress(handle, PORT), "by a handle the rendezvous resolved");

        assertThat(fresh.reverse(handle)).isEqualTo(server.id().name());
        assertThat(fresh.keyOf(handle)).isEqualTo(server.id());
    }

    @Test
    void aKeyNotInAllowIsRefusedBeforeTheListenerSeesAnything() throws Exception {
        OverlayRuntime stranger = nodes.runtime(nodes.options(nodes.keyFile(), "rendezvous", nodes.rendezvousSpec()));
        OverlayStream s = stranger.open(InetSocketAddress.createUnresolved(server.id().name(), PORT), TIMEOUT)
                .get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> s.awaitOpen(TIMEOUT))
                .isInstanceOfSatisfying(StreamRefusedException.class, e -> assertThat(e.notAllowed()).isTrue());
        assertThat(server.listener(PORT).poll()).isNull();
    }

    @Test
    void aPortThatIsNotServedIsRefused() throws Exception {
        OverlayStream s = client.open(InetSocketAddress.createUnresolved(server.id().name(), 7002), TIMEOUT)
                .get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> s.awaitOpen(TIMEOUT))
                .isInstanceOfSatisfying(StreamRefusedException.class, e -> assertThat(e.notAllowed()).isFalse())
                .hasMessageContaining("refused");
    }

    @Test
    void badNamesFailWithUnknownHostExceptionSayingWhy() {
        assertThat(failure(client, InetSocketAddress.createUnresolved("abc.overlay", PORT)))
                .isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("abc.overlay: not a node name (expected 52 base32 characters before .overlay, got 3)")
                .hasMessageContaining("it is no alias in " + hosts);
        assertThat(failure(server, InetSocketAddress.createUnresolved("db.overlay", PORT)))
                .isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("no hosts file is configured (overlay.hosts)");
        assertThat(failure(client, InetSocketAddress.createUnresolved("example.com", PORT)))
                .isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("not an overlay name");
        assertThat(failure(client, new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT)))
                .isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("is not an overlay address");
    }

    @Test
    void unreachableTargetsFailWithConnectExceptionSayingWhy() throws Exception {
        Identity nobody = Identity.generate(new SecureRandom());
        assertThat(failure(client, new InetSocketAddress(nobody.id().handle(), PORT)))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("no key known for this overlay handle");
        assertThat(failure(client, InetSocketAddress.createUnresolved(nobody.id().name(), PORT)))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("is not registered at any rendezvous");
        assertThat(failure(client, InetSocketAddress.createUnresolved(server.id().name(), 0)))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("overlay ports are 1..65535");
        assertThat(failure(client, new InetSocketAddress(client.localHandle(), PORT)))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("it is this node itself");

        OverlayRuntime alone = nodes.runtime(nodes.options(nodes.keyFile()));
        assertThat(failure(alone, new InetSocketAddress(server.id().handle(), PORT)))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("no rendezvous server is configured");
        alone.close();
        assertThat(failure(alone, InetSocketAddress.createUnresolved(server.id().name(), PORT)))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("is closed");
    }

    @Test
    void tellsOverlayTargetsFromKernelOnes() throws Exception {
        assertThat(client.isOverlay(InetSocketAddress.createUnresolved(server.id().name(), 80))).isTrue();
        assertThat(client.isOverlay(InetSocketAddress.createUnresolved("db.overlay", 80))).isTrue();
        assertThat(client.isOverlay(InetSocketAddress.createUnresolved("whatever.OVERLAY.", 80))).isTrue();
        assertThat(client.isOverlay(new InetSocketAddress(server.id().handle(), 80))).isTrue();
        assertThat(client.isOverlay(InetSocketAddress.createUnresolved("example.com", 80))).isFalse();
        assertThat(client.isOverlay(InetSocketAddress.createUnresolved("overlay", 80))).isFalse();
        assertThat(client.isOverlay(new InetSocketAddress(InetAddress.getLoopbackAddress(), 80))).isFalse();
        assertThat(client.isOverlay(new InetSocketAddress(InetAddress.getByName("fd00::1"), 80))).isFalse();
        assertThat(client.isOverlay(null)).isFalse();
    }

    @Test
    void resolvesNamesAndAliasesAndReversesKnownHandles() throws Exception {
        Inet6Address byAlias = client.resolve("db.overlay");
        assertThat(byAlias).isEqualTo(server.id().handle());
        assertThat(byAlias.getHostName()).isEqualTo("db.overlay");
        Inet6Address byName = client.resolve(server.id().name().toUpperCase());
        assertThat(byName).isEqualTo(server.id().handle());
        assertThatThrownBy(() -> client.resolve("nope.overlay"))
                .isInstanceOf(UnknownHostException.class).hasMessageContaining("nope.overlay");
        assertThatThrownBy(() -> client.resolve("localhost"))
                .isInstanceOf(UnknownHostException.class).hasMessageContaining("not an overlay name");

        assertThat(client.reverse(server.id().handle())).isEqualTo(server.id().name()); // an alias's key is known
        assertThat(client.reverse(client.localHandle())).isEqualTo(client.id().name());
        assertThat(client.reverse(Identity.generate(new SecureRandom()).id().handle())).isNull();
        assertThat(client.reverse(InetAddress.getLoopbackAddress())).isNull();
    }

    @Test
    void servedPortsHaveListenersAndOthersDoNot() {
        assertThat(server.listener(PORT)).isNotNull();
        assertThat(server.listener(7001)).isNotNull();
        assertThat(server.listener(80)).isNull();
        assertThat(client.listener(PORT)).isNull();
        assertThat(server.servedPorts()).containsExactly(PORT, 7001);
        assertThat(server.localHandle()).isEqualTo(server.id().handle());
        assertThat(server.handleOf(client.id())).isEqualTo(client.id().handle());
    }

    @Test
    void aServedPortWhoseListenerWasClosedGetsANewOneOnTheNextCall() throws Exception {
        server.listener(PORT).close();
        OverlayStream refused = client.open(InetSocketAddress.createUnresolved(server.id().name(), PORT), TIMEOUT)
                .get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> refused.awaitOpen(TIMEOUT)).isInstanceOf(StreamRefusedException.class)
                .hasMessageContaining("refused");

        assertThat(server.listener(PORT).isClosed()).isFalse();
        exchange(client, InetSocketAddress.createUnresolved(server.id().name(), PORT), "to the new listener");
        server.close();
        assertThat(server.listener(PORT)).isNull();
    }

    @Test
    void aCancelledOpenLeavesNothingBehind() throws Exception {
        // The event loop may complete the open before cancel() runs; then that attempt is not the
        // case under test (its stream is reset by hand) and the next one tries again. Bounded.
        int attempts = 0;
        CompletableFuture<OverlayStream> f;
        do {
            f = client.open(InetSocketAddress.createUnresolved(server.id().name(), PORT), TIMEOUT);
            attempts++;
            if (!f.cancel(false)) {
                f.get(10, TimeUnit.SECONDS).reset(dev.overlay.stream.StreamError.NO_ERROR);
            }
        } while (!f.isCancelled() && attempts < 20);
        assertThat(f).as("one of %d opens was cancelled before the loop completed it", attempts).isCancelled();
        // A stream opened anyway is reset: the server may accept it, but reading it fails.
        OverlayStream s = client.open(InetSocketAddress.createUnresolved(server.id().name(), PORT), TIMEOUT)
                .get(10, TimeUnit.SECONDS);
        s.awaitOpen(TIMEOUT);
        s.getOutputStream().write("after a cancel".getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput();
        String read = null;
        for (int i = 0; i <= attempts && read == null; i++) {
            try {
                read = readAll(server.listener(PORT).accept(TIMEOUT));
            } catch (java.net.SocketException e) {
                assertThat(e).hasMessageContaining("reset"); // an abandoned stream
            }
        }
        assertThat(read).isEqualTo("after a cancel");
    }

    /** Opens, sends {@code text} with a FIN, and checks the server's listener gets it from the client's key. */
    private void exchange(OverlayRuntime from, InetSocketAddress target, String text) throws Exception {
        OverlayStream s = from.open(target, TIMEOUT).get(10, TimeUnit.SECONDS);
        s.awaitOpen(TIMEOUT);
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput();
        OverlayStream accepted = server.listener(PORT).accept(TIMEOUT);
        assertThat(accepted.peer()).isEqualTo(from.id());
        assertThat(readAll(accepted)).isEqualTo(text);
        accepted.close();
        s.close();
    }

    private static String readAll(OverlayStream s) throws IOException {
        s.setReadTimeout(TIMEOUT);
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static Throwable failure(OverlayRuntime r, InetSocketAddress target) {
        CompletableFuture<OverlayStream> f = r.open(target, Duration.ofSeconds(5));
        try {
            OverlayStream s = f.get(10, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + s);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theNodeCannotStartOnATakenPortAndSaysSo() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            OverlayConfig c = OverlayConfig.parse(nodes.options(nodes.keyFile(), "bind", "127.0.0.1:" + taken.getLocalPort()), "test");
            assertThatThrownBy(() -> OverlayRuntime.create(c)).isInstanceOf(IOException.class);
        }
    }
}
