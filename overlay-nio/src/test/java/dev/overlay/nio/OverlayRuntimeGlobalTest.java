package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process-wide runtime: started once from the system properties, a failure rethrown with the
 * same message on every later call, never a half-started node. Sets and clears {@code overlay.*}
 * system properties, so it resets the runtime before and after each test.
 */
class OverlayRuntimeGlobalTest {
    @TempDir
    Path dir;

    @BeforeEach
    @AfterEach
    void clean() {
        OverlayRuntime.reset();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(OverlayConfig.PROPERTY_PREFIX)) {
                System.clearProperty(name);
            }
        }
    }

    @Test
    void getStartsOneRuntimeFromTheSystemPropertiesWhateverTheNumberOfThreads() throws Exception {
        System.setProperty("overlay.identity", dir.resolve("node.key").toString());
        System.setProperty("overlay.bind", "127.0.0.1:0");
        System.setProperty("overlay.serve", "8080");
        assertThat(OverlayRuntime.current()).isNull();

        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<OverlayRuntime>> got = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                got.add(pool.submit(() -> {
                    go.await();
                    return OverlayRuntime.get();
                }));
            }
            go.countDown();
            Set<OverlayRuntime> distinct = new java.util.HashSet<>();
            for (Future<OverlayRuntime> f : got) {
                distinct.add(f.get(20, TimeUnit.SECONDS));
            }
            assertThat(distinct).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        OverlayRuntime r = OverlayRuntime.get();
        assertThat(OverlayRuntime.current()).isSameAs(r);
        assertThat(r.listener(8080)).isNotNull();
        assertThat(r.config().source()).isEqualTo("system properties");
        assertThat(r.node().localAddress().getAddress().isLoopbackAddress()).isTrue();
        assertThat(overlayNodeThreads()).isEqualTo(1);

        r.close();
        assertThat(OverlayRuntime.current()).isNull();
        assertThat(r.isClosed()).isTrue();
        // Closed: the next get() starts a new node (same key, read again).
        OverlayRuntime again = OverlayRuntime.get();
        assertThat(again).isNotSameAs(r);
        assertThat(again.id()).isEqualTo(r.id());
    }

    @Test
    void aConfigurationErrorIsRethrownWithTheSameMessageEvenAfterTheCause() {
        System.setProperty("overlay.identity", dir.resolve("node.key").toString());
        System.setProperty("overlay.serve", "80;0");
        String expected = "overlay configuration: serve=80;0 (system property overlay.serve): port 0 is outside 1..65535";
        assertThatThrownBy(OverlayRuntime::get).isInstanceOf(IllegalArgumentException.class).hasMessage(expected);
        // Read once: fixing the property later changes nothing until a reset.
        System.setProperty("overlay.serve", "80");
        assertThatThrownBy(OverlayRuntime::get).isInstanceOf(IllegalArgumentException.class).hasMessage(expected)
                .cause().hasMessage(expected);
        assertThat(OverlayRuntime.current()).isNull();
        assertThat(overlayNodeThreads()).isZero();

        OverlayRuntime.reset();
        assertThat(OverlayRuntime.get().servedPorts()).containsExactly(80);
    }

    @Test
    void anUnknownOverlayPropertyStopsStartUp() {
        System.setProperty("overlay.identity", dir.resolve("node.key").toString());
        System.setProperty("overlay.peer", "x");
        assertThatThrownBy(OverlayRuntime::get).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown system property overlay.peer");
        assertThatThrownBy(OverlayRuntime::get).hasMessageContaining("unknown system property overlay.peer");
    }

    @Test
    void withoutAnyConfigurationTheMessageSaysWhatToSet() {
        assertThatThrownBy(OverlayRuntime::get).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'identity' is not set (read system properties)");
    }

    @Test
    void aNodeThatCannotBindLeavesNoThreadAndTheSameErrorEveryTime() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            System.setProperty("overlay.identity", dir.resolve("node.key").toString());
            System.setProperty("overlay.bind", "127.0.0.1:" + taken.getLocalPort());
            Throwable first = org.assertj.core.api.Assertions.catchThrowable(OverlayRuntime::get);
            assertThat(first).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("overlay: the node did not start: ");
            assertThatThrownBy(OverlayRuntime::get).isInstanceOf(IllegalStateException.class).hasMessage(first.getMessage());
            assertThat(overlayNodeThreads()).isZero();
        }
    }

    @Test
    void anExplicitStartIsWhatGetReturnsAndASecondStartIsRefused() throws Exception {
        OverlayConfig c = OverlayConfig.parse(java.util.Map.of("identity", dir.resolve("a.key").toString(),
                "bind", "127.0.0.1:0"), "test");
        OverlayRuntime r = OverlayRuntime.start(c);
        assertThat(OverlayRuntime.get()).isSameAs(r);
        assertThatThrownBy(() -> OverlayRuntime.start(c)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already running");
        OverlayRuntime.reset();
        assertThat(r.isClosed()).isTrue();
        assertThat(OverlayRuntime.current()).isNull();
    }

    @Test
    void aRuntimeMadeWithCreateIsNotTheProcessWideOne() throws Exception {
        OverlayConfig c = OverlayConfig.parse(java.util.Map.of("identity", dir.resolve("a.key").toString(),
                "bind", "127.0.0.1:0"), "test");
        try (OverlayRuntime r = OverlayRuntime.create(c)) {
            assertThat(OverlayRuntime.current()).isNull();
            assertThat(r.id()).isEqualTo(c.identity().id());
        }
    }

    /** Event-loop threads of the node whose key is in node.key. */
    private long overlayNodeThreads() {
        String name;
        try {
            name = "overlay-node-" + dev.overlay.identity.KeyFile.read(dir.resolve("node.key")).id().shortName();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(name) && t.isAlive())
                .count();
    }
}
