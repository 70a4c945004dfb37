package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The provider: the platform provider it wraps, the channels it hands out, and installed JVM-wide. */
class OverlaySelectorProviderTest {
    private static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");

    private final OverlaySelectorProvider provider = new OverlaySelectorProvider(new FailingBackend());

    @Test
    void platformIsTheJvmDefaultWhenNotInstalled() {
        assertThat(OverlaySelectorProvider.platform()).isSameAs(SelectorProvider.provider());
        assertThat(OverlaySelectorProvider.platform()).isNotInstanceOf(OverlaySelectorProvider.class);
        assertThat(PlatformProvider.platformClassName()).startsWith("sun.nio.ch.");
    }

    @Test
    void everyChannelItHandsOutRegistersWithItsSelector() throws Exception {
        try (Selector selector = provider.openSelector();
             DatagramChannel a = provider.openDatagramChannel(StandardProtocolFamily.INET);
             DatagramChannel b = provider.openDatagramChannel()) {
            assertThat(selector).isInstanceOf(OverlaySelector.class);
            assertThat(a.provider()).isSameAs(provider);
            a.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            b.configureBlocking(false);
            SelectionKey dk = b.register(selector, SelectionKey.OP_READ);
            a.send(ByteBuffer.wrap(new byte[] {1, 2}), b.getLocalAddress());
            assertThat(selector.select(Bg.STEP.toMillis())).isEqualTo(1);
            assertThat(dk.isReadable()).isTrue();
            ByteBuffer in = ByteBuffer.allocate(8);
            assertThat(b.receive(in)).isEqualTo(a.getLocalAddress());
            assertThat(in.position()).isEqualTo(2);
            selector.selectedKeys().clear();

            Pipe pipe = provider.openPipe();
            pipe.source().configureBlocking(false);
            pipe.sink().configureBlocking(false);
            SelectionKey source = pipe.source().register(selector, SelectionKey.OP_READ);
            SelectionKey sink = pipe.sink().register(selector, SelectionKey.OP_WRITE);
            assertThat(selector.selectNow()).isEqualTo(1);
            assertThat(selector.selectedKeys()).containsExactly(sink);
            pipe.sink().write(ByteBuffer.wrap(new byte[] {9}));
            selector.selectedKeys().clear();
            sink.interestOps(0);
            assertThat(selector.select(Bg.STEP.toMillis())).isEqualTo(1);
            assertThat(source.isReadable()).isTrue();
            assertThat(pipe.source().read(ByteBuffer.allocate(4))).isEqualTo(1);
            pipe.source().close();
            pipe.sink().close();
        }
    }

    @Test
    void unixDomainChannelsStayThePlatformsAndSelectToo() throws Exception {
        Path dir = Files.createTempDirectory("overlay-uds");
        Path socketFile = dir.resolve("s");
        try (Selector selector = provider.openSelector();
             ServerSocketChannel server = provider.openServerSocketChannel(StandardProtocolFamily.UNIX);
             SocketChannel client = provider.openSocketChannel(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socketFile));
            assertThat(server.getLocalAddress()).isInstanceOf(UnixDomainSocketAddress.class);
            assertThatThrownBy(server::socket).isInstanceOf(UnsupportedOperationException.class);
            client.connect(server.getLocalAddress());
            try (SocketChannel accepted = server.accept()) {
                accepted.configureBlocking(false);
                SelectionKey key = accepted.register(selector, SelectionKey.OP_READ);
                client.write(ByteBuffer.wrap("uds".getBytes(StandardCharsets.US_ASCII)));
                assertThat(selector.select(Bg.STEP.toMillis())).isEqualTo(1);
                assertThat(key.isReadable()).isTrue();
                assertThat(accepted.read(ByteBuffer.allocate(8))).isEqualTo(3);
            }
        } finally {
            Files.deleteIfExists(socketFile);
            Files.delete(dir);
        }
    }

    @Test
    void kernelTrafficNeverAsksForTheOverlay() throws Exception {
        // The backend fails every call: plain TCP must not touch it, an overlay address must fail cleanly.
        try (ServerSocketChannel server = provider.openServerSocketChannel()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel c = provider.openSocketChannel()) {
                assertThat(c.connect(server.getLocalAddress())).isTrue();
                server.accept().close();
            }
            try (SocketChannel c = provider.openSocketChannel()) {
                assertThat(c.connect(InetSocketAddress.createUnresolved("localhost", 1))).isFalse();
            } catch (java.nio.channels.UnresolvedAddressException expected) {
                // the platform's answer for an unresolved non-overlay name
            }
        }
        SocketChannel overlay = provider.openSocketChannel();
        InetSocketAddress handle = new InetSocketAddress(
                dev.overlay.identity.Identity.generate(new java.security.SecureRandom()).id().handle(), 80);
        assertThatThrownBy(() -> overlay.connect(handle)).isInstanceOf(java.net.ConnectException.class)
                .hasMessageContaining("no overlay here");
        assertThat(overlay.isOpen()).isFalse();
    }

    @Test
    void installedWithThePropertyOnJdk17() throws Exception {
        runInstalled(Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    @Test
    void installedWithThePropertyOnJdk25() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(JDK25), "JDK 25 at " + JDK25);
        runInstalled(JDK25);
    }

    /** Runs {@link InstalledProviderMain} in a JVM with the provider property set: no flags besides it. */
    private static void runInstalled(Path java) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java.toString(),
                "-Djava.nio.channels.spi.SelectorProvider=" + OverlaySelectorProvider.class.getName(),
                "-ea", "-cp", System.getProperty("java.class.path"), InstalledProviderMain.class.getName()));
        File err = File.createTempFile("installed", ".err");
        File out = File.createTempFile("installed", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err).redirectOutput(out).start();
            boolean done = p.waitFor(60, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String stdout = Files.readString(out.toPath());
            String stderr = Files.readString(err.toPath());
            assertThat(done).as("finished; out:\n" + stdout + "\nerr:\n" + stderr).isTrue();
            assertThat(p.exitValue()).as("exit status; out:\n" + stdout + "\nerr:\n" + stderr).isZero();
            assertThat(stdout).contains("provider " + OverlaySelectorProvider.class.getName(),
                    "platform sun.nio.ch.", "kernel http ok", "datagram and pipe ok", "overlay http ok",
                    "mixed http ok", "OK");
            assertThat(stdout).doesNotContain("platform dev.overlay");
            assertThat(stderr).as("nothing on stderr (no illegal-access or Unsafe warnings)")
                    .doesNotContain("WARNING").doesNotContain("Exception");
        } finally {
            Files.deleteIfExists(err.toPath());
            Files.deleteIfExists(out.toPath());
        }
    }

    /** A backend that refuses everything, to prove kernel traffic never reaches it. */
    private static final class FailingBackend implements OverlayBackend {
        @Override
        public boolean isOverlay(InetSocketAddress target) {
            if (!target.isUnresolved() && !dev.overlay.identity.NodeId.isHandle(target.getAddress())) {
                throw new AssertionError("asked about a kernel address " + target);
            }
            return true;
        }

        @Override
        public java.util.concurrent.CompletableFuture<dev.overlay.stream.OverlayStream> open(
                InetSocketAddress target, java.time.Duration timeout) {
            return java.util.concurrent.CompletableFuture.failedFuture(new java.net.ConnectException("no overlay here"));
        }

        @Override
        public dev.overlay.stream.StreamListener listener(int port) {
            return null;
        }

        @Override
        public java.net.Inet6Address localHandle() {
            return dev.overlay.identity.Identity.generate(new java.security.SecureRandom()).id().handle();
        }
    }
}
