package dev.overlay.nio.parity;

import static dev.overlay.nio.parity.Within.STEP;
import static dev.overlay.nio.parity.Within.awaitBlocked;
import static dev.overlay.nio.parity.Within.selectUntil;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Overlay mode only (kernel mode has nothing to mix): one selector of the overlay provider serves
 * a kernel channel and an overlay channel at the same time, as an HTTP client talking to an overlay
 * server and a public server at once needs. Fails while the provider is not built.
 */
class MixedSelectorTest {
    private final Within w = new Within();

    @AfterEach
    void cleanUp() {
        w.close();
    }

    /** A kernel pair and an overlay pair, both from the overlay provider. */
    private record Both(Pair kernel, Pair overlay) {}

    private Both open() throws Exception {
        Mode mode = Mode.OVERLAY;
        ServerSocketChannel kernelServer = w.closeLater(mode.openKernelServer());
        assertThat(((InetSocketAddress) kernelServer.getLocalAddress()).getAddress().isLoopbackAddress()).isTrue();
        Pair kernel = Pair.open(w, mode.provider(), kernelServer, (InetSocketAddress) kernelServer.getLocalAddress());
        Pair overlay = Pair.open(w, mode, w.closeLater(mode.openServer()));
        return new Both(kernel, overlay);
    }

    @Test
    void kernelAndOverlayChannelsReadyAtOnce() throws Exception {
        SelectorProvider provider = Mode.OVERLAY.provider();
        Both b = open();
        Selector selector = w.closeLater(provider.openSelector());
        b.kernel().accepted().configureBlocking(false);
        b.overlay().accepted().configureBlocking(false);
        SelectionKey kernelKey = b.kernel().accepted().register(selector, SelectionKey.OP_READ, "kernel");
        SelectionKey overlayKey = b.overlay().accepted().register(selector, SelectionKey.OP_READ, "overlay");
        assertThat(selector.keys()).containsExactlyInAnyOrder(kernelKey, overlayKey);
        assertThat(selector.selectNow()).isZero();

        assertThat(w.call(STEP, "kernel write", () -> b.kernel().client().write(ByteBuffer.wrap(new byte[] {1})))).isEqualTo(1);
        assertThat(w.call(STEP, "overlay write", () -> b.overlay().client().write(ByteBuffer.wrap(new byte[] {2})))).isEqualTo(1);
        selectUntil(selector, STEP, keys -> keys.contains(kernelKey) && keys.contains(overlayKey));

        // Both still unread: one selection operation reports both.
        selector.selectedKeys().clear();
        assertThat(selector.selectNow()).isEqualTo(2);
        assertThat(selector.selectedKeys()).containsExactlyInAnyOrder(kernelKey, overlayKey);
        Set<Object> consumed = new HashSet<>();
        selector.selectedKeys().clear();
        assertThat(selector.select(k -> consumed.add(k.attachment()), STEP.toMillis())).isEqualTo(2);
        assertThat(consumed).containsExactlyInAnyOrder("kernel", "overlay");

        ByteBuffer in = ByteBuffer.allocate(4);
        assertThat(b.kernel().accepted().read(in)).isEqualTo(1);
        assertThat(in.get(0)).isEqualTo((byte) 1);
        in.clear();
        assertThat(b.overlay().accepted().read(in)).isEqualTo(1);
        assertThat(in.get(0)).isEqualTo((byte) 2);
        assertThat(selector.selectNow()).isZero();
    }

    @Test
    void eitherKindEndsABlockedSelect() throws Exception {
        SelectorProvider provider = Mode.OVERLAY.provider();
        Both b = open();
        Selector selector = w.closeLater(provider.openSelector());
        b.kernel().accepted().configureBlocking(false);
        b.overlay().accepted().configureBlocking(false);
        SelectionKey kernelKey = b.kernel().accepted().register(selector, SelectionKey.OP_READ);
        SelectionKey overlayKey = b.overlay().accepted().register(selector, SelectionKey.OP_READ);

        // Blocked with both registered, the kernel side becomes readable.
        Within.Task<Integer> first = w.start("select() for the kernel channel", () -> selector.select());
        assertThat(awaitBlocked(first)).as("select blocked").isTrue();
        assertThat(w.call(STEP, "kernel write", () -> b.kernel().client().write(ByteBuffer.allocate(1)))).isEqualTo(1);
        assertThat(first.get(STEP)).isEqualTo(1);
        assertThat(selector.selectedKeys()).containsExactly(kernelKey);
        selector.selectedKeys().clear();
        kernelKey.interestOps(0);

        // Then the overlay side.
        Within.Task<Integer> second = w.start("select() for the overlay channel", () -> selector.select());
        assertThat(awaitBlocked(second)).as("select blocked").isTrue();
        assertThat(w.call(STEP, "overlay write", () -> b.overlay().client().write(ByteBuffer.allocate(1)))).isEqualTo(1);
        assertThat(second.get(STEP)).isEqualTo(1);
        assertThat(selector.selectedKeys()).containsExactly(overlayKey);
    }

    @Test
    void acceptedOverlayChannelsReportTheClientsHandle() throws Exception {
        Both b = open();
        InetSocketAddress remote = (InetSocketAddress) b.overlay().accepted().getRemoteAddress();
        assertThat(remote.getAddress()).isEqualTo(OverlayFixture.get().clientHandle());
        InetSocketAddress kernelRemote = (InetSocketAddress) b.kernel().accepted().getRemoteAddress();
        assertThat(kernelRemote.getAddress().isLoopbackAddress()).isTrue();
    }
}
