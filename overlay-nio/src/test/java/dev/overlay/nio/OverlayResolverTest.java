package dev.overlay.nio;

import static dev.overlay.nio.RuntimeTestNodes.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.node.Endpoints;
import dev.overlay.stream.OverlayStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code InetAddress} hook, on the JDK running the build (17: {@code nameService}; 18+:
 * {@code resolver}). Runs in its own JVM with {@code --add-opens java.base/java.net=ALL-UNNAMED}
 * (the surefire execution {@code opens-java-net}, selected by the tag).
 */
@Tag("opens-java.net")
class OverlayResolverTest {
    private static final int PORT = 7000;

    @TempDir
    Path dir;
    RuntimeTestNodes nodes;
    OverlayRuntime server;
    OverlayRuntime client;
    Path hosts;

    @BeforeEach
    void start() throws Exception {
        OverlayResolver.uninstall();
        nodes = new RuntimeTestNodes(dir);
        server = nodes.runtime(nodes.options(nodes.keyFile(), "serve", String.valueOf(PORT)));
        hosts = dir.resolve("hosts");
        Files.writeString(hosts, "db.overlay " + server.id().name() + "\n");
        client = nodes.runtime(nodes.options(nodes.keyFile(), "hosts", hosts.toString(),
                "peers", server.id().name() + "@" + Endpoints.format(server.node().localAddress())));
    }

    @AfterEach
    void stop() throws Exception {
        OverlayResolver.uninstall();
        OverlayRuntime.reset();
        nodes.close();
    }

    @Test
    void installsIntoTheFieldOfThisJdk() {
        OverlayResolver.Status s = OverlayResolver.install(client);
        assertThat(s.installed()).as(s.detail()).isTrue();
        String field = Runtime.version().feature() >= 18 ? "InetAddress.resolver" : "InetAddress.nameService";
        assertThat(s.detail()).startsWith("replaced " + field).contains(client.id().name());
        assertThat(OverlayResolver.isInstalled()).isTrue();
    }

    @Test
    void overlayNamesAndAliasesResolveToHandles() throws Exception {
        assertThat(OverlayResolver.install(client).installed()).isTrue();
        NodeId key = server.id();

        InetAddress byName = InetAddress.getByName(key.name());
        assertThat(byName).isInstanceOf(Inet6Address.class).isEqualTo(key.handle());
        assertThat(byName.getHostName()).isEqualTo(key.name());
        assertThat(InetAddress.getByName(key.name().toUpperCase() + ".")).isEqualTo(key.handle());
        assertThat(InetAddress.getAllByName(key.name())).containsExactly(key.handle());

        InetAddress byAlias = InetAddress.getByName("db.overlay");
        assertThat(byAlias).isEqualTo(key.handle());
        assertThat(byAlias.getHostName()).isEqualTo("db.overlay");

        InetSocketAddress resolved = new InetSocketAddress("db.overlay", 80);
        assertThat(resolved.isUnresolved()).isFalse();
        assertThat(client.isOverlay(resolved)).isTrue();
    }

    @Test
    void malformedOverlayNamesFailWithTheReason() {
        assertThat(OverlayResolver.install(client).installed()).isTrue();
        assertThatThrownBy(() -> InetAddress.getByName("abc.overlay"))
                .isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("abc.overlay: not a node name (expected 52 base32 characters before .overlay, got 3)")
                .hasMessageContaining("it is no alias in " + hosts);
    }

    @Test
    void reverseLookupOfAKnownHandleGivesItsNameAndOfAnUnknownOneTheLiteral() throws Exception {
        assertThat(OverlayResolver.install(client).installed()).isTrue();
        InetAddress known = InetAddress.getByAddress(server.id().handle().getAddress());
        assertThat(known.getHostName()).isEqualTo(server.id().name());
        assertThat(InetAddress.getByAddress(server.id().handle().getAddress()).getCanonicalHostName())
                .isEqualTo(server.id().name());

        Inet6Address unknownHandle = Identity.generate(new SecureRandom()).id().handle();
        InetAddress unknown = InetAddress.getByAddress(unknownHandle.getAddress());
        assertThat(unknown.getHostName()).isEqualTo(unknownHandle.getHostAddress());
    }

    @Test
    void everythingElseGoesToThePlatformResolverUntouched() throws Exception {
        String loopbackNameBefore = InetAddress.getByAddress(new byte[] {127, 0, 0, 1}).getHostName();
        assertThat(OverlayResolver.install(client).installed()).isTrue();

        assertThat(InetAddress.getByName("localhost").isLoopbackAddress()).isTrue();
        assertThat(InetAddress.getByName("192.0.2.1").getHostAddress()).isEqualTo("192.0.2.1");
        assertThat(InetAddress.getByName("fd6f::1")).isInstanceOf(Inet6Address.class); // a literal: no lookup at all
        assertThat(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}).getHostName()).isEqualTo(loopbackNameBefore);
        // A fresh name (not cached by an earlier test): the platform's own failure, nothing about the overlay.
        String unknown = "no-such-host-" + System.nanoTime() + ".invalid";
        assertThat(failureOf(unknown)).startsWith(unknown).doesNotContain("overlay");
    }

    @Test
    void aNameLookedUpBeforeInstallIsNotLeftNegativelyCachedNorAResolvedOneAfterUninstall() throws Exception {
        String name = server.id().name();
        // Not installed: the platform resolver does not know the name; the JDK caches the failure (10 s).
        assertThatThrownBy(() -> InetAddress.getByName(name)).isInstanceOf(UnknownHostException.class);

        OverlayResolver.Status s = OverlayResolver.install(client);
        assertThat(s.detail()).contains("dropped 1 cached lookup(s) of .overlay names");
        assertThat(InetAddress.getByName(name)).isEqualTo(server.id().handle());

        assertThat(OverlayResolver.uninstall()).isTrue();
        assertThat(OverlayResolver.isInstalled()).isFalse();
        assertThatThrownBy(() -> InetAddress.getByName(name)).isInstanceOf(UnknownHostException.class);
    }

    @Test
    void installingAgainOnlySwitchesTheRuntime() throws Exception {
        assertThat(OverlayResolver.install(client).installed()).isTrue();
        assertThat(InetAddress.getByName("db.overlay")).isEqualTo(server.id().handle());

        OverlayResolver.Status again = OverlayResolver.install(server);
        assertThat(again.installed()).isTrue();
        assertThat(again.detail()).startsWith("already installed").contains(server.id().name());
        // The server has no hosts file: the alias is unknown now (the cache was flushed on the switch).
        assertThatThrownBy(() -> InetAddress.getByName("db.overlay"))
                .isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("no hosts file is configured");
    }

    @Test
    void closingTheRuntimeRemovesTheHook() throws Exception {
        assertThat(OverlayResolver.install(client).installed()).isTrue();
        client.close();
        assertThat(OverlayResolver.isInstalled()).isFalse();
        assertThatThrownBy(() -> InetAddress.getByName("db.overlay")).isInstanceOf(UnknownHostException.class);
    }

    @Test
    void theProcessWideRuntimeInstallsItOnStart() throws Exception {
        OverlayConfig c = OverlayConfig.parse(Map.of("identity", nodes.keyFile().toString(), "bind", "127.0.0.1:0",
                "hosts", hosts.toString()), "test");
        OverlayRuntime r = OverlayRuntime.start(c);
        assertThat(OverlayResolver.isInstalled()).isTrue();
        assertThat(InetAddress.getByName("db.overlay")).isEqualTo(server.id().handle());
        r.close();
        assertThat(OverlayResolver.isInstalled()).isFalse();
    }

    @Test
    void aClientConnectsToAnAddressTheHookResolved() throws Exception {
        assertThat(OverlayResolver.install(client).installed()).isTrue();
        for (String host : new String[] {"db.overlay", server.id().name()}) {
            InetSocketAddress target = new InetSocketAddress(host, PORT); // resolved by the hook
            assertThat(target.getAddress()).isEqualTo(server.id().handle());
            OverlayStream s = client.open(target, TIMEOUT).get(10, TimeUnit.SECONDS);
            s.awaitOpen(TIMEOUT);
            s.getOutputStream().write(host.getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            OverlayStream accepted = server.listener(PORT).accept(TIMEOUT);
            accepted.setReadTimeout(TIMEOUT);
            assertThat(accepted.peer()).isEqualTo(client.id());
            assertThat(new String(accepted.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(host);
            accepted.close();
            s.close();
        }
        // The server learned the client's key from the session: its handle reverses to its name there.
        OverlayResolver.install(server);
        assertThat(InetAddress.getByAddress(client.id().handle().getAddress()).getHostName()).isEqualTo(client.id().name());
    }

    private static String failureOf(String host) {
        try {
            return "resolved " + InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            return e.getMessage();
        }
    }
}
