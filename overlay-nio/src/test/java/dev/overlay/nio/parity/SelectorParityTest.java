package dev.overlay.nio.parity;

import static dev.overlay.nio.parity.Within.BULK;
import static dev.overlay.nio.parity.Within.STEP;
import static dev.overlay.nio.parity.Within.awaitBlocked;
import static dev.overlay.nio.parity.Within.selectUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Selectors over kernel TCP and over the overlay with identical assertions ({@link Mode}): wakeup,
 * timeouts, readiness, interest changes and registration from other threads, cancellation, the
 * selected-key set's counting rules, many channels, and closing.
 */
class SelectorParityTest {
    private final Within w = new Within();

    @AfterEach
    void cleanUp() {
        w.close();
    }

    private Pair pair(Mode mode) throws Exception {
        return Pair.open(w, mode, w.closeLater(mode.openServer()));
    }

    private static ByteBuffer bytes(int n) {
        return ByteBuffer.wrap(new byte[n]);
    }

    private static void drain(SocketChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        for (int i = 0; i < 1000; i++) {
            b.clear();
            if (ch.read(b) <= 0) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ wakeup and timeouts

    @ParameterizedTest
    @EnumSource(Mode.class)
    void wakeupEndsABlockedSelect(Mode mode) throws Exception {
        Selector selector = w.closeLater(mode.provider().openSelector());
        ServerSocketChannel server = w.closeLater(mode.openServer());
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT); // idle: nobody connects
        Within.Task<Integer> selecting = w.start("select()", () -> selector.select());
        assertThat(awaitBlocked(selecting)).as("select blocked").isTrue();
        selector.wakeup();
        assertThat(selecting.get(STEP)).isZero();
        assertThat(selector.selectedKeys()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void wakeupBeforeSelectMakesTheNextSelectReturnAtOnce(Mode mode) throws Exception {
        Selector selector = w.closeLater(mode.provider().openSelector());
        selector.wakeup();
        selector.wakeup(); // several wake-ups before a select count as one
        long t0 = System.nanoTime();
        assertThat(w.call(STEP, "select after wakeup", () -> selector.select(60_000))).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(STEP.toMillis());

        // selectNow() consumes a pending wakeup too: the select after it waits its full timeout.
        selector.wakeup();
        assertThat(selector.selectNow()).isZero();
        t0 = System.nanoTime();
        assertThat(w.call(STEP, "select(300)", () -> selector.select(300))).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(250);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void selectWithATimeoutReturnsZeroWhenNothingIsReady(Mode mode) throws Exception {
        Pair p = pair(mode);
        Selector selector = w.closeLater(mode.provider().openSelector());
        p.accepted().configureBlocking(false);
        p.accepted().register(selector, SelectionKey.OP_READ);
        long t0 = System.nanoTime();
        assertThat(w.call(STEP, "select(300)", () -> selector.select(300))).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(250);
        assertThat(selector.selectNow()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void readinessEndsABlockedSelect(Mode mode) throws Exception {
        Pair p = pair(mode);
        Selector selector = w.closeLater(mode.provider().openSelector());
        p.accepted().configureBlocking(false);
        SelectionKey key = p.accepted().register(selector, SelectionKey.OP_READ);
        Within.Task<Integer> selecting = w.start("select()", () -> selector.select());
        assertThat(awaitBlocked(selecting)).as("select blocked").isTrue();
        assertThat(w.call(STEP, "write", () -> p.client().write(bytes(1)))).isEqualTo(1);
        assertThat(selecting.get(STEP)).isEqualTo(1);
        assertThat(selector.selectedKeys()).containsExactly(key);
        assertThat(key.isReadable()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void activityOnUninterestingChannelsDoesNotEndASelect(Mode mode) throws Exception {
        Pair p = pair(mode);
        Selector selector = w.closeLater(mode.provider().openSelector());
        p.accepted().configureBlocking(false);
        p.accepted().register(selector, 0); // registered, interested in nothing
        Within.Task<Integer> selecting = w.start("select(1500)", () -> selector.select(1500));
        long t0 = System.nanoTime();
        assertThat(awaitBlocked(selecting)).as("select blocked").isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(w.call(STEP, "write", () -> p.client().write(bytes(100)))).isEqualTo(100);
        }
        // No key is ready for what it asked, so select must neither return early nor count anything.
        assertThat(selecting.get(STEP)).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(1400);
    }

    // ------------------------------------------------------------------ readiness and interest

    @ParameterizedTest
    @EnumSource(Mode.class)
    void interestOpsDecideWhatIsReported(Mode mode) throws Exception {
        Pair p = pair(mode);
        Selector selector = w.closeLater(mode.provider().openSelector());
        p.accepted().configureBlocking(false);
        SelectionKey key = p.accepted().register(selector, 0, "attachment");
        assertThat(key.attachment()).isEqualTo("attachment");
        assertThat(key.selector()).isSameAs(selector);
        assertThat(key.channel()).isSameAs(p.accepted());
        assertThat(p.accepted().keyFor(selector)).isSameAs(key);
        assertThat(p.accepted().isRegistered()).isTrue();

        // A connected channel with room to send is writable.
        key.interestOps(SelectionKey.OP_WRITE);
        selectUntil(selector, key, SelectionKey.OP_WRITE, STEP);

        // Data arrives: readable, but reported only while OP_READ is of interest.
        assertThat(w.call(STEP, "write", () -> p.client().write(bytes(10)))).isEqualTo(10);
        key.interestOps(SelectionKey.OP_READ);
        selectUntil(selector, key, SelectionKey.OP_READ, STEP);
        assertThat(key.readyOps()).isEqualTo(SelectionKey.OP_READ); // only ops of interest are ready
        key.interestOps(0);
        assertThat(selector.selectNow()).isZero();
        assertThat(selector.selectedKeys()).isEmpty();
        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        assertThat(selector.selectNow()).isEqualTo(1);
        assertThat(key.readyOps()).isEqualTo(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        selector.selectedKeys().clear();

        // Level-triggered: still readable until read.
        key.interestOps(SelectionKey.OP_READ);
        assertThat(selector.selectNow()).isEqualTo(1);
        selector.selectedKeys().clear();
        drain(p.accepted());
        assertThat(selector.selectNow()).isZero();

        assertThatThrownBy(() -> key.interestOps(SelectionKey.OP_ACCEPT)).isInstanceOf(IllegalArgumentException.class);
        assertThat(p.accepted().validOps()).isEqualTo(SelectionKey.OP_READ | SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aKeyAlreadySelectedIsNotCountedAgain(Mode mode) throws Exception {
        Pair p = pair(mode);
        Selector selector = w.closeLater(mode.provider().openSelector());
        p.accepted().configureBlocking(false);
        SelectionKey key = p.accepted().register(selector, SelectionKey.OP_READ);
        assertThat(w.call(STEP, "write", () -> p.client().write(bytes(1)))).isEqualTo(1);
        selectUntil(selector, STEP, keys -> keys.contains(key));
        // Still in the selected-key set with the same ready set: the next select counts 0 for it.
        assertThat(selector.selectNow()).isZero();
        assertThat(selector.selectedKeys()).containsExactly(key);
        // Once removed from the set it is counted again (the data is still unread).
        selector.selectedKeys().remove(key);
        assertThat(selector.selectNow()).isEqualTo(1);
        assertThatThrownBy(() -> selector.selectedKeys().add(key)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> selector.keys().remove(key)).isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void selectWithAnActionCountsWhatItHandled(Mode mode) throws Exception {
        Selector selector = w.closeLater(mode.provider().openSelector());
        ServerSocketChannel server = w.closeLater(mode.openServer());
        List<SelectionKey> keys = new ArrayList<>();
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Pair p = Pair.open(w, mode, server);
            pairs.add(p);
            p.accepted().configureBlocking(false);
            keys.add(p.accepted().register(selector, SelectionKey.OP_READ));
            assertThat(w.call(STEP, "write", () -> p.client().write(bytes(1)))).isEqualTo(1);
        }
        // Wait until all three are readable, then one select(Consumer) must hand each over once.
        selectUntil(selector, STEP, selected -> selected.containsAll(keys));
        selector.selectedKeys().clear();
        Set<SelectionKey> handled = new HashSet<>();
        List<SelectionKey> calls = new ArrayList<>();
        int n = selector.select(k -> {
            calls.add(k);
            handled.add(k);
        }, STEP.toMillis());
        assertThat(n).isEqualTo(calls.size()).isEqualTo(3); // the JDK's default asserts this under -ea
        assertThat(handled).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(selector.selectedKeys()).isEmpty(); // the action variant does not fill the set
        int again = selector.selectNow(k -> calls.add(k));
        assertThat(again).isEqualTo(3);
        assertThat(calls).hasSize(6);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void interestOpsChangedFromAnotherThreadTakeEffectAfterAWakeup(Mode mode) throws Exception {
        Pair p = pair(mode);
        Selector selector = w.closeLater(mode.provider().openSelector());
        p.accepted().configureBlocking(false);
        SelectionKey key = p.accepted().register(selector, 0);
        assertThat(w.call(STEP, "write", () -> p.client().write(bytes(1)))).isEqualTo(1);

        // A selector loop, as in Netty: it waits, other threads change interest and wake it up.
        AtomicInteger loops = new AtomicInteger();
        Within.Task<Long> loop = w.start("selector loop", () -> {
            long deadline = System.nanoTime() + STEP.toNanos();
            while (System.nanoTime() - deadline < 0) {
                loops.incrementAndGet();
                selector.select();
                if (selector.selectedKeys().remove(key) && key.isReadable()) {
                    return System.nanoTime();
                }
            }
            throw new AssertionError("no OP_READ reported");
        });
        assertThat(awaitBlocked(loop)).as("select blocked").isTrue();
        // Changing interest from this thread while the loop is blocked must not block or deadlock.
        w.call(STEP, "interestOps from another thread", () -> key.interestOps(SelectionKey.OP_READ));
        assertThat(key.interestOps()).isEqualTo(SelectionKey.OP_READ);
        selector.wakeup();
        loop.get(STEP);
        assertThat(loops.get()).isGreaterThanOrEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void registeringFromAnotherThreadWhileSelectingDoesNotBlock(Mode mode) throws Exception {
        Selector selector = w.closeLater(mode.provider().openSelector());
        Within.Task<Integer> selecting = w.start("select()", () -> selector.select());
        assertThat(awaitBlocked(selecting)).as("select blocked").isTrue();
        Pair p = pair(mode);
        p.accepted().configureBlocking(false);
        SelectionKey key = w.call(STEP, "register while selecting",
                () -> p.accepted().register(selector, SelectionKey.OP_READ));
        assertThat(selector.keys()).contains(key);
        selector.wakeup();
        assertThat(selecting.get(STEP)).isZero();
        assertThat(w.call(STEP, "write", () -> p.client().write(bytes(1)))).isEqualTo(1);
        selectUntil(selector, key, SelectionKey.OP_READ, STEP);
    }

    // ------------------------------------------------------------------ cancel and close

    @ParameterizedTest
    @EnumSource(Mode.class)
    void cancelAndRegisterAgain(Mode mode) throws Exception {
        Pair p = pair(mode);
        Selector selector = w.closeLater(mode.provider().openSelector());
        p.accepted().configureBlocking(false);
        SelectionKey first = p.accepted().register(selector, SelectionKey.OP_READ);
        first.cancel();
        assertThat(first.isValid()).isFalse();
        assertThatThrownBy(first::interestOps).isInstanceOf(CancelledKeyException.class);
        assertThatThrownBy(first::readyOps).isInstanceOf(CancelledKeyException.class);
        // Until the next selection operation the channel is still registered with the cancelled key.
        assertThat(p.accepted().isRegistered()).isTrue();
        assertThat(selector.keys()).contains(first);
        assertThatThrownBy(() -> p.accepted().register(selector, SelectionKey.OP_READ))
                .isInstanceOf(CancelledKeyException.class);
        first.cancel(); // again: no effect

        assertThat(selector.selectNow()).isZero(); // deregisters
        assertThat(selector.keys()).doesNotContain(first);
        assertThat(p.accepted().isRegistered()).isFalse();
        assertThat(p.accepted().keyFor(selector)).isNull();

        SelectionKey second = p.accepted().register(selector, SelectionKey.OP_READ);
        assertThat(second).isNotSameAs(first);
        assertThat(second.isValid()).isTrue();
        assertThat(w.call(STEP, "write", () -> p.client().write(bytes(1)))).isEqualTo(1);
        selectUntil(selector, second, SelectionKey.OP_READ, STEP);

        // Cancelled while selected: gone from both sets at the next selection operation.
        second.interestOps(SelectionKey.OP_READ);
        selectUntil(selector, STEP, keys -> keys.contains(second));
        second.cancel();
        selector.selectNow();
        assertThat(selector.selectedKeys()).doesNotContain(second);
        assertThat(selector.keys()).doesNotContain(second);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closingAChannelCancelsItsKeys(Mode mode) throws Exception {
        Pair p = pair(mode);
        Selector one = w.closeLater(mode.provider().openSelector());
        Selector two = w.closeLater(mode.provider().openSelector());
        p.accepted().configureBlocking(false);
        SelectionKey k1 = p.accepted().register(one, SelectionKey.OP_READ);
        SelectionKey k2 = p.accepted().register(two, SelectionKey.OP_WRITE); // one channel, two selectors
        p.accepted().close();
        assertThat(k1.isValid()).isFalse();
        assertThat(k2.isValid()).isFalse();
        one.selectNow();
        two.selectNow();
        assertThat(one.keys()).isEmpty();
        assertThat(two.keys()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closingTheSelector(Mode mode) throws Exception {
        Pair p = pair(mode);
        Selector selector = mode.provider().openSelector();
        assertThat(selector.provider()).isSameAs(mode.provider());
        p.accepted().configureBlocking(false);
        SelectionKey key = p.accepted().register(selector, SelectionKey.OP_READ);
        Within.Task<Integer> selecting = w.start("select()", () -> selector.select());
        assertThat(awaitBlocked(selecting)).as("select blocked").isTrue();
        selector.close(); // wakes the blocked select
        Throwable failure = selecting.failure(STEP);
        // The JDK lets the blocked select finish (0) or fail; either way nothing is selected.
        if (failure != null) {
            assertThat(failure).isInstanceOf(ClosedSelectorException.class);
        }
        assertThat(selector.isOpen()).isFalse();
        assertThat(key.isValid()).isFalse();
        assertThatThrownBy(selector::selectNow).isInstanceOf(ClosedSelectorException.class);
        assertThatThrownBy(selector::keys).isInstanceOf(ClosedSelectorException.class);
        selector.wakeup(); // allowed on a closed selector
        selector.close(); // again: no effect
        // The channel is still open and can use another selector.
        assertThat(p.accepted().isOpen()).isTrue();
        assertThat(p.accepted().isRegistered()).isFalse();
        Selector other = w.closeLater(mode.provider().openSelector());
        SelectionKey again = p.accepted().register(other, SelectionKey.OP_READ);
        assertThat(w.call(STEP, "write", () -> p.client().write(bytes(1)))).isEqualTo(1);
        selectUntil(other, again, SelectionKey.OP_READ, STEP);
    }

    // ------------------------------------------------------------------ many channels

    @ParameterizedTest
    @EnumSource(Mode.class)
    void twoHundredChannelsOnOneSelector(Mode mode) throws Exception {
        int count = 200;
        Selector selector = w.closeLater(mode.provider().openSelector());
        ServerSocketChannel server = w.closeLater(mode.openServer());
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Pair p = Pair.open(w, mode, server);
            pairs.add(p);
            p.accepted().configureBlocking(false);
            p.accepted().register(selector, SelectionKey.OP_READ, i);
        }
        assertThat(selector.keys()).hasSize(count);
        assertThat(selector.selectNow()).isZero();

        // Each client sends its index, in a shuffled order; each key must read its own.
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(42));
        for (int i : order) {
            ByteBuffer b = ByteBuffer.allocate(4).putInt(0, i);
            assertThat(w.call(STEP, "write", () -> pairs.get(i).client().write(b))).isEqualTo(4);
        }
        BitSet seen = new BitSet(count);
        long deadline = System.nanoTime() + BULK.toNanos();
        ByteBuffer in = ByteBuffer.allocate(8);
        while (seen.cardinality() < count) {
            assertThat(System.nanoTime() - deadline).as("all " + count + " read within " + BULK + "; seen " + seen.cardinality())
                    .isNegative();
            selector.select(100);
            for (SelectionKey k : selector.selectedKeys()) {
                int index = (Integer) k.attachment();
                in.clear();
                int n = ((SocketChannel) k.channel()).read(in);
                if (n > 0) {
                    in.flip();
                    assertThat(in.remaining()).as("4 bytes, sent at once").isEqualTo(4);
                    assertThat(in.getInt()).isEqualTo(index);
                    assertThat(seen.get(index)).as("read twice").isFalse();
                    seen.set(index);
                    k.interestOps(0);
                }
            }
            selector.selectedKeys().clear();
        }

        // Half the clients close: exactly those keys read end of stream; their channels close.
        Set<Integer> closing = new HashSet<>();
        for (int i = 0; i < count; i += 2) {
            pairs.get(i).client().close();
            closing.add(i);
        }
        for (SelectionKey k : selector.keys()) {
            k.interestOps(SelectionKey.OP_READ);
        }
        Set<Integer> ended = new HashSet<>();
        deadline = System.nanoTime() + BULK.toNanos();
        while (ended.size() < closing.size()) {
            assertThat(System.nanoTime() - deadline).as("ends seen within " + BULK + ": " + ended.size()).isNegative();
            selector.select(100);
            for (SelectionKey k : selector.selectedKeys()) {
                in.clear();
                assertThat(((SocketChannel) k.channel()).read(in)).isEqualTo(-1);
                ended.add((Integer) k.attachment());
                k.channel().close();
            }
            selector.selectedKeys().clear();
        }
        assertThat(ended).isEqualTo(closing);
        selector.selectNow();
        assertThat(selector.keys()).hasSize(count - closing.size());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closingRegisteredChannelsDuringASelectReleasesTheirDescriptors(Mode mode) throws Exception {
        Path fds = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd (Linux)");
        int count = 200;
        // Kernel channels through this mode's provider: over the overlay provider they are its
        // pass-through channels, registered with its mixed selector.
        long before = countFds(fds);
        Selector selector = mode.provider().openSelector();
        ServerSocketChannel server = mode.openKernelServer();
        List<SocketChannel> clients = new ArrayList<>();
        List<SocketChannel> accepted = new ArrayList<>();
        try {
            w.call(BULK, count + " kernel connections", () -> {
                for (int i = 0; i < count; i++) {
                    SocketChannel c = mode.provider().openSocketChannel();
                    clients.add(c);
                    c.connect(server.getLocalAddress());
                    accepted.add(server.accept());
                    c.configureBlocking(false);
                    c.register(selector, SelectionKey.OP_READ);
                }
                return null;
            });
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger selects = new AtomicInteger();
            Within.Task<Void> loop = w.start("selector loop", () -> {
                long deadline = System.nanoTime() + BULK.toNanos();
                while (!stop.get() && System.nanoTime() - deadline < 0) {
                    selector.select();
                    selector.selectedKeys().clear();
                    selects.incrementAndGet();
                }
                return null;
            });
            assertThat(awaitBlocked(loop)).as("select blocked").isTrue();
            for (SocketChannel c : clients) {
                c.close(); // while the loop is blocked in select()
            }
            int seen = selects.get();
            selector.wakeup();
            // At least one more selection operation: the closed channels' keys are deregistered.
            long deadline = System.nanoTime() + STEP.toNanos();
            while (selects.get() < seen + 2 && System.nanoTime() - deadline < 0) {
                selector.wakeup();
                Thread.yield();
            }
            stop.set(true);
            selector.wakeup();
            loop.get(STEP);
            assertThat(selector.keys()).isEmpty();
        } finally {
            for (SocketChannel c : clients) {
                c.close();
            }
            for (SocketChannel a : accepted) {
                a.close();
            }
            server.close();
            selector.close();
        }
        long after = countFds(fds);
        assertThat(after - before).as("descriptors left open after closing " + count + " channels during a select")
                .isLessThanOrEqualTo(10);
    }

    private static long countFds(Path fds) throws IOException {
        try (Stream<Path> s = Files.list(fds)) {
            return s.count();
        }
    }
}
