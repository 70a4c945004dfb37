package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link OverlaySelector} with kernel and overlay channels, alone and together. */
class OverlaySelectorTest {
    private static TwoNodes nodes;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void startNodes() throws IOException {
        nodes = new TwoNodes();
    }

    @AfterAll
    static void stopNodes() throws IOException {
        nodes.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T later(T c) {
        toClose.add(c);
        return c;
    }

    private record Pair(SocketChannel client, SocketChannel accepted) {}

    private ServerSocketChannel overlayServer() throws IOException {
        ServerSocketChannel s = later(nodes.provider.openServerSocketChannel());
        s.bind(new InetSocketAddress(nodes.servePort()));
        return s;
    }

    private ServerSocketChannel kernelServer() throws IOException {
        ServerSocketChannel s = later(nodes.provider.openServerSocketChannel());
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return s;
    }

    private SocketAddressFn addressOf = s -> {
        InetSocketAddress local = (InetSocketAddress) s.getLocalAddress();
        return local.getAddress().equals(nodes.backend.localHandle()) ? nodes.serverAddress(local.getPort()) : local;
    };

    private interface SocketAddressFn {
        InetSocketAddress of(ServerSocketChannel s) throws IOException;
    }

    private Pair pair(ServerSocketChannel server) throws Exception {
        SocketChannel client = later(nodes.provider.openSocketChannel());
        assertThat(client.connect(addressOf.of(server))).isTrue();
        SocketChannel accepted = later(server.accept());
        return new Pair(client, accepted);
    }

    private static ByteBuffer bytes(int n) {
        return ByteBuffer.allocate(n);
    }

    private static void drain(SocketChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (ch.read(b.clear()) > 0) {
            // discard
        }
    }

    /** Selects until {@code done} holds for the selected-key set, at most {@link Bg#STEP}. */
    private static void selectUntil(Selector selector, java.util.function.Predicate<Set<SelectionKey>> done)
            throws IOException {
        long deadline = System.nanoTime() + Bg.STEP.toNanos();
        while (!done.test(selector.selectedKeys())) {
            assertThat(System.nanoTime() - deadline).as("selected " + selector.selectedKeys()).isNegative();
            selector.select(100);
        }
    }

    // ------------------------------------------------------------------ both kinds

    @Test
    void kernelAndOverlayChannelsReadyAtOnce() throws Exception {
        Pair overlay = pair(overlayServer());
        Pair kernel = pair(kernelServer());
        Selector selector = later(nodes.provider.openSelector());
        overlay.accepted().configureBlocking(false);
        kernel.accepted().configureBlocking(false);
        SelectionKey o = overlay.accepted().register(selector, SelectionKey.OP_READ, "overlay");
        SelectionKey k = kernel.accepted().register(selector, SelectionKey.OP_READ, "kernel");
        assertThat(selector.selectNow()).isZero();
        overlay.client().write(bytes(3));
        kernel.client().write(bytes(5));
        selectUntil(selector, keys -> keys.containsAll(List.of(o, k)));
        assertThat(o.isReadable()).isTrue();
        assertThat(k.isReadable()).isTrue();
        assertThat(overlay.accepted().read(bytes(16))).isEqualTo(3);
        assertThat(kernel.accepted().read(bytes(16))).isEqualTo(5);
        selector.selectedKeys().clear();
        assertThat(selector.selectNow()).isZero();
    }

    @Test
    void eitherKindEndsABlockedSelect() throws Exception {
        Pair overlay = pair(overlayServer());
        Pair kernel = pair(kernelServer());
        Selector selector = later(nodes.provider.openSelector());
        overlay.accepted().configureBlocking(false);
        kernel.accepted().configureBlocking(false);
        SelectionKey o = overlay.accepted().register(selector, SelectionKey.OP_READ);
        SelectionKey k = kernel.accepted().register(selector, SelectionKey.OP_READ);
        for (Pair p : List.of(overlay, kernel)) {
            Bg<Integer> selecting = Bg.start("select", selector::select).awaitBlocked();
            p.client().write(bytes(1));
            assertThat(selecting.get()).isEqualTo(1);
            assertThat(selector.selectedKeys()).containsExactly(p == overlay ? o : k);
            drain(p.accepted());
            selector.selectedKeys().clear();
        }
    }

    // ------------------------------------------------------------------ wake-ups and timeouts

    @Test
    void wakeupEndsABlockedSelectAndIsRememberedUntilTheNext() throws Exception {
        Selector selector = later(nodes.provider.openSelector());
        overlayServer().configureBlocking(false);
        Bg<Integer> selecting = Bg.start("select", selector::select).awaitBlocked();
        selector.wakeup();
        assertThat(selecting.get()).isZero();

        selector.wakeup();
        selector.wakeup();
        long t0 = System.nanoTime();
        assertThat(selector.select(60_000)).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);

        selector.wakeup();
        assertThat(selector.selectNow()).isZero(); // consumes the wake-up
        t0 = System.nanoTime();
        assertThat(selector.select(300)).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(290);
    }

    @Test
    void overlayWakeupsWithNothingReadyDoNotReturnZero() throws Exception {
        Pair p = pair(overlayServer());
        Selector selector = later(nodes.provider.openSelector());
        OverlaySelector os = (OverlaySelector) selector;
        p.accepted().configureBlocking(false);
        p.accepted().register(selector, 0); // registered, interested in nothing
        long quiet = os.quietWakeups();
        long t0 = System.nanoTime();
        Bg<Integer> selecting = Bg.start("select(1500)", () -> selector.select(1500)).awaitBlocked();
        for (int i = 0; i < 5; i++) {
            p.client().write(bytes(100)); // the stream signals; nothing is of interest
        }
        Bg.until(() -> os.quietWakeups() > quiet || selecting.isDone(), "a quiet wake-up");
        assertThat(selecting.get()).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(1450);
        assertThat(os.quietWakeups()).isGreaterThan(quiet);
    }

    @Test
    void anIdleSelectorReturnsOnlyAtItsTimeoutAndCostsNoCpu() throws Exception {
        Pair overlay = pair(overlayServer());
        Pair kernel = pair(kernelServer());
        Selector selector = later(nodes.provider.openSelector());
        overlay.accepted().configureBlocking(false);
        kernel.accepted().configureBlocking(false);
        overlay.accepted().register(selector, SelectionKey.OP_READ);
        kernel.accepted().register(selector, SelectionKey.OP_READ);
        overlayServer().configureBlocking(false);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long quiet = ((OverlaySelector) selector).quietWakeups();
        long cpu0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < 4; i++) {
            long t0 = System.nanoTime();
            assertThat(selector.select(250)).isZero();
            assertThat((System.nanoTime() - t0) / 1_000_000).as("select(250) returned early").isGreaterThanOrEqualTo(245);
        }
        long cpuMillis = (mx.getCurrentThreadCpuTime() - cpu0) / 1_000_000;
        assertThat(cpuMillis).as("CPU used by 1 s of idle selection").isLessThan(100);
        assertThat(((OverlaySelector) selector).quietWakeups()).isEqualTo(quiet);
    }

    // ------------------------------------------------------------------ select(Consumer), counting

    @Test
    void selectWithAnActionCountsEachKeyOnce() throws Exception {
        ServerSocketChannel os = overlayServer();
        ServerSocketChannel ks = kernelServer();
        Selector selector = later(nodes.provider.openSelector());
        List<SelectionKey> keys = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Pair p = pair(i < 3 ? os : ks);
            p.accepted().configureBlocking(false);
            keys.add(p.accepted().register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE));
            p.client().write(bytes(1));
        }
        selectUntil(selector, selected -> selected.containsAll(keys) && keys.stream().allMatch(SelectionKey::isReadable));
        selector.selectedKeys().clear();
        List<SelectionKey> calls = new ArrayList<>();
        int n = selector.select(calls::add, Bg.STEP.toMillis());
        assertThat(n).isEqualTo(calls.size()).isEqualTo(5);
        assertThat(new HashSet<>(calls)).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(calls).allMatch(k -> k.readyOps() == (SelectionKey.OP_READ | SelectionKey.OP_WRITE));
        assertThat(selector.selectedKeys()).isEmpty();
        assertThat(selector.selectNow(calls::add)).isEqualTo(5);
        assertThat(selector.select(calls::add)).isEqualTo(5);
        assertThat(calls).hasSize(15);
        // The JDK's default select(Consumer) asserts this count under -ea; ours is the count itself.
        assertThatThrownBy(() -> selector.select(k -> {
            try {
                selector.close();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        })).isInstanceOf(ClosedSelectorException.class);
    }

    @Test
    void selectedKeysAreCountedWhenTheirReadySetGrows() throws Exception {
        Pair p = pair(overlayServer());
        Selector selector = later(nodes.provider.openSelector());
        p.accepted().configureBlocking(false);
        SelectionKey key = p.accepted().register(selector, SelectionKey.OP_READ);
        p.client().write(bytes(1));
        selectUntil(selector, keys -> keys.contains(key));
        assertThat(selector.selectNow()).isZero(); // already selected, same ready set
        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        assertThat(selector.selectNow()).isEqualTo(1); // OP_WRITE added to its ready set
        assertThat(key.readyOps()).isEqualTo(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        assertThatThrownBy(() -> selector.selectedKeys().add(key)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> selector.keys().remove(key)).isInstanceOf(UnsupportedOperationException.class);
        selector.selectedKeys().remove(key);
        key.interestOps(SelectionKey.OP_READ);
        assertThat(selector.selectNow()).isEqualTo(1); // level-triggered: still unread
        selector.selectedKeys().clear();
        drain(p.accepted());
        assertThat(selector.selectNow()).isZero();
    }

    // ------------------------------------------------------------------ interest, registration, cancellation

    @Test
    void interestOpsFromAnotherThreadWhileSelecting() throws Exception {
        for (ServerSocketChannel server : List.of(overlayServer(), kernelServer())) {
            Pair p = pair(server);
            Selector selector = later(nodes.provider.openSelector());
            p.accepted().configureBlocking(false);
            SelectionKey key = p.accepted().register(selector, 0);
            p.client().write(bytes(1));
            Bg<Boolean> loop = Bg.start("selector loop", () -> {
                while (true) {
                    selector.select();
                    if (selector.selectedKeys().remove(key) && key.isReadable()) {
                        return true;
                    }
                }
            }).awaitBlocked();
            Bg.start("interestOps", () -> key.interestOps(SelectionKey.OP_READ)).get(); // never blocks
            selector.wakeup(); // what the JDK needs for a kernel key; the overlay side woke already
            assertThat(loop.get()).isTrue();
        }
    }

    @Test
    void registeringWhileSelectingDoesNotBlock() throws Exception {
        Selector selector = later(nodes.provider.openSelector());
        Bg<Integer> selecting = Bg.start("select", selector::select).awaitBlocked();
        Pair overlay = pair(overlayServer());
        Pair kernel = pair(kernelServer());
        overlay.accepted().configureBlocking(false);
        kernel.accepted().configureBlocking(false);
        SelectionKey o = Bg.start("register", () -> overlay.accepted().register(selector, SelectionKey.OP_READ)).get();
        SelectionKey k = Bg.start("register", () -> kernel.accepted().register(selector, SelectionKey.OP_READ)).get();
        assertThat(selector.keys()).contains(o, k);
        selector.wakeup();
        assertThat(selecting.get()).isZero();
        overlay.client().write(bytes(1));
        kernel.client().write(bytes(1));
        selectUntil(selector, keys -> keys.containsAll(List.of(o, k)));
    }

    @Test
    void cancelAndRegisterAgainForBothKinds() throws Exception {
        for (ServerSocketChannel server : List.of(overlayServer(), kernelServer())) {
            Pair p = pair(server);
            Selector selector = later(nodes.provider.openSelector());
            p.accepted().configureBlocking(false);
            SelectionKey first = p.accepted().register(selector, SelectionKey.OP_READ);
            first.cancel();
            assertThat(first.isValid()).isFalse();
            assertThatThrownBy(first::readyOps).isInstanceOf(CancelledKeyException.class);
            assertThatThrownBy(() -> first.interestOps(0)).isInstanceOf(CancelledKeyException.class);
            assertThat(p.accepted().isRegistered()).isTrue();
            assertThatThrownBy(() -> p.accepted().register(selector, SelectionKey.OP_READ))
                    .isInstanceOf(CancelledKeyException.class);
            assertThat(selector.selectNow()).isZero();
            assertThat(selector.keys()).doesNotContain(first);
            assertThat(p.accepted().isRegistered()).isFalse();
            p.accepted().configureBlocking(true); // allowed once deregistered
            p.accepted().configureBlocking(false);

            SelectionKey second = p.accepted().register(selector, SelectionKey.OP_READ);
            p.client().write(bytes(1));
            selectUntil(selector, keys -> keys.contains(second));
            second.cancel(); // while selected
            selector.selectNow();
            assertThat(selector.selectedKeys()).doesNotContain(second);
            assertThat(selector.keys()).isEmpty();
            // Cancelled during a selection's action and registered again right after it.
            SelectionKey third = p.accepted().register(selector, SelectionKey.OP_READ);
            assertThat(selector.select(SelectionKey::cancel, Bg.STEP.toMillis())).isEqualTo(1);
            assertThat(third.isValid()).isFalse();
            SelectionKey fourth = p.accepted().register(selector, SelectionKey.OP_READ);
            assertThat(selector.select(Bg.STEP.toMillis())).isEqualTo(1);
            assertThat(selector.selectedKeys()).containsExactly(fourth);
        }
    }

    @Test
    void closingTheSelectorWakesItAndDeregistersEverything() throws Exception {
        Pair overlay = pair(overlayServer());
        Pair kernel = pair(kernelServer());
        Selector selector = nodes.provider.openSelector();
        overlay.accepted().configureBlocking(false);
        kernel.accepted().configureBlocking(false);
        SelectionKey o = overlay.accepted().register(selector, SelectionKey.OP_READ);
        SelectionKey k = kernel.accepted().register(selector, SelectionKey.OP_READ);
        Bg<Integer> selecting = Bg.start("select", selector::select).awaitBlocked();
        selector.close();
        assertThat(selecting.get()).isZero();
        assertThat(o.isValid()).isFalse();
        assertThat(k.isValid()).isFalse();
        assertThat(overlay.accepted().isRegistered()).isFalse();
        assertThat(kernel.accepted().isRegistered()).isFalse();
        assertThatThrownBy(selector::selectNow).isInstanceOf(ClosedSelectorException.class);
        assertThatThrownBy(selector::selectedKeys).isInstanceOf(ClosedSelectorException.class);
        assertThatThrownBy(() -> overlay.accepted().register(selector, SelectionKey.OP_READ))
                .isInstanceOf(ClosedSelectorException.class);
        selector.wakeup();
        selector.close();
        Selector other = later(nodes.provider.openSelector());
        SelectionKey again = overlay.accepted().register(other, SelectionKey.OP_READ);
        overlay.client().write(bytes(1));
        selectUntil(other, keys -> keys.contains(again));
    }

    @Test
    void closingAChannelCancelsItsKeysInEverySelector() throws Exception {
        Pair p = pair(overlayServer());
        Selector one = later(nodes.provider.openSelector());
        Selector two = later(nodes.provider.openSelector());
        p.accepted().configureBlocking(false);
        SelectionKey k1 = p.accepted().register(one, SelectionKey.OP_READ);
        SelectionKey k2 = p.accepted().register(two, SelectionKey.OP_WRITE);
        assertThat(two.selectNow()).isEqualTo(1);
        p.accepted().close();
        assertThat(k1.isValid()).isFalse();
        assertThat(k2.isValid()).isFalse();
        one.selectNow();
        two.selectNow();
        assertThat(one.keys()).isEmpty();
        assertThat(two.keys()).isEmpty();
        assertThat(two.selectedKeys()).isEmpty();
    }

    @Test
    void foreignChannelsAreRefused() throws Exception {
        Selector selector = later(nodes.provider.openSelector());
        try (SocketChannel platform = OverlaySelectorProvider.platform().openSocketChannel()) {
            platform.configureBlocking(false);
            assertThatThrownBy(() -> platform.register(selector, SelectionKey.OP_READ))
                    .isInstanceOf(IllegalSelectorException.class);
        }
        try (SocketChannel other = new OverlaySelectorProvider(nodes.backend).openSocketChannel()) {
            other.configureBlocking(false);
            assertThatThrownBy(() -> other.register(selector, SelectionKey.OP_READ))
                    .isInstanceOf(IllegalSelectorException.class);
        }
    }

    // ------------------------------------------------------------------ many channels, descriptors

    @Test
    void manyOverlayAndKernelChannelsOnOneSelector() throws Exception {
        int overlayCount = 150;
        int kernelCount = 50;
        ServerSocketChannel os = overlayServer();
        ServerSocketChannel ks = kernelServer();
        Selector selector = later(nodes.provider.openSelector());
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < overlayCount + kernelCount; i++) {
            Pair p = pair(i < overlayCount ? os : ks);
            pairs.add(p);
            p.accepted().configureBlocking(false);
            p.accepted().register(selector, SelectionKey.OP_READ, i);
        }
        assertThat(selector.keys()).hasSize(overlayCount + kernelCount);
        assertThat(selector.selectNow()).isZero();
        for (int i = pairs.size() - 1; i >= 0; i--) {
            pairs.get(i).client().write(ByteBuffer.allocate(4).putInt(0, i));
        }
        BitSet seen = new BitSet();
        ByteBuffer in = ByteBuffer.allocate(8);
        long deadline = System.nanoTime() + Bg.STEP.toNanos();
        while (seen.cardinality() < pairs.size()) {
            assertThat(System.nanoTime() - deadline).as("seen " + seen.cardinality()).isNegative();
            selector.select(k -> {
                try {
                    int index = (Integer) k.attachment();
                    in.clear();
                    if (((SocketChannel) k.channel()).read(in) == 4) {
                        assertThat(in.getInt(0)).isEqualTo(index);
                        assertThat(seen.get(index)).isFalse();
                        seen.set(index);
                        k.interestOps(0);
                    }
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }, 100);
        }
    }

    @Test
    void closingRegisteredKernelChannelsDuringASelectReleasesTheirDescriptors() throws Exception {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return; // Linux only
        }
        int count = 200;
        ServerSocketChannel server = kernelServer();
        Selector selector = later(nodes.provider.openSelector());
        long before = countFds(fds);
        List<SocketChannel> clients = new ArrayList<>();
        List<SocketChannel> accepted = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SocketChannel c = nodes.provider.openSocketChannel();
            c.connect(server.getLocalAddress());
            clients.add(c);
            accepted.add(server.accept());
            c.configureBlocking(false);
            c.register(selector, SelectionKey.OP_READ);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger selects = new AtomicInteger();
        Bg<Void> loop = Bg.<Void>start("selector loop", () -> {
            while (!stop.get()) {
                selector.select();
                selectors(selector);
                selects.incrementAndGet();
            }
            return null;
        }).awaitBlocked();
        for (SocketChannel c : clients) {
            c.close(); // while the loop is blocked in select(); no wakeup from us
        }
        for (SocketChannel a : accepted) {
            a.close();
        }
        // The closes wake the selector to deregister: the descriptors go without a select() returning.
        // The selector thread deregisters them: descriptors and keys go in its own order, so wait
        // for both (checking the keys right after the descriptors raced that thread).
        Bg.until(() -> countFdsUnchecked(fds) - before <= 10 && selector.keys().isEmpty(),
                "descriptors released and keys deregistered");
        assertThat(selects.get()).isZero();
        stop.set(true);
        selector.wakeup();
        loop.get();
    }

    private static void selectors(Selector s) {
        s.selectedKeys().clear();
    }

    private static long countFds(Path fds) throws IOException {
        try (Stream<Path> s = Files.list(fds)) {
            return s.count();
        }
    }

    private static long countFdsUnchecked(Path fds) {
        try {
            return countFds(fds);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
