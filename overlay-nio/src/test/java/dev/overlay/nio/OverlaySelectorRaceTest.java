package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link OverlaySelector} under races: registration against closes, stale wake-ups, concurrent interest changes. */
class OverlaySelectorRaceTest {
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

    private Pipe pipe() throws IOException {
        Pipe p = nodes.provider.openPipe();
        later(p.sink());
        later(p.source());
        p.source().configureBlocking(false);
        p.sink().configureBlocking(false);
        return p;
    }

    /** The wrapper's platform channel (a package-private seam: closes it underneath the wrapper). */
    private static Channel platformOf(Object wrapper) throws ReflectiveOperationException {
        Field f = wrapper.getClass().getDeclaredField("platform");
        f.setAccessible(true);
        return (Channel) f.get(wrapper);
    }

    private record Pair(SocketChannel client, SocketChannel accepted) {}

    /** A connected overlay pair, both ends non-blocking. */
    private Pair overlayPair() throws IOException {
        ServerSocketChannel server = later(nodes.provider.openServerSocketChannel());
        server.bind(new InetSocketAddress(nodes.servePort()));
        InetSocketAddress local = (InetSocketAddress) server.getLocalAddress();
        SocketChannel client = later(nodes.provider.openSocketChannel());
        assertThat(client.connect(nodes.serverAddress(local.getPort()))).isTrue();
        SocketChannel accepted = later(server.accept());
        client.configureBlocking(false);
        accepted.configureBlocking(false);
        return new Pair(client, accepted);
    }

    private static void selectUntil(Selector selector, SelectionKey k) throws IOException {
        long deadline = System.nanoTime() + Bg.STEP.toNanos();
        while (!selector.selectedKeys().contains(k)) {
            assertThat(System.nanoTime() - deadline).as("selected " + selector.selectedKeys()).isNegative();
            selector.select(100);
        }
    }

    private static void drain(ReadableByteChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (ch.read(b.clear()) > 0) {
            // discard
        }
    }

    // ------------------------------------------------------------------ register against close

    @Test
    void registeringAfterThePlatformChannelClosedThrowsClosedChannelExceptionAndLeavesNoKey() throws Exception {
        Selector selector = later(nodes.provider.openSelector());
        Pipe p = pipe();
        // The state between the platform channel's close and the wrapper's keys.cancelAndWake():
        // the wrapper is open, its platform channel is not.
        platformOf(p.source()).close();
        assertThat(p.source().isOpen()).isTrue();
        assertThatThrownBy(() -> p.source().register(selector, SelectionKey.OP_READ))
                .isInstanceOf(ClosedChannelException.class);
        assertThat(selector.keys()).isEmpty();
        assertThat(p.source().keyFor(selector)).isNull();
        assertThat(selector.selectNow()).isZero();

        p.source().close(); // cancels whatever keys the channel has; the next select must not throw
        assertThat(selector.selectNow()).isZero();
        assertThat(selector.keys()).isEmpty();

        // the selector is still fine for other channels
        Pipe q = pipe();
        SelectionKey k = q.source().register(selector, SelectionKey.OP_READ);
        q.sink().write(ByteBuffer.allocate(1));
        assertThat(selector.select(10_000)).isEqualTo(1);
        assertThat(selector.selectedKeys()).containsExactly(k);
    }

    @Test
    void registeringWhileTheSelectorClosesLeavesNothingBehind() throws Exception {
        List<Pipe> pipes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            pipes.add(pipe());
        }
        CyclicBarrier start = new CyclicBarrier(2);
        CyclicBarrier end = new CyclicBarrier(2);
        AtomicReference<Selector> current = new AtomicReference<>();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        int rounds = 1500;
        Thread registrar = new Thread(() -> {
            try {
                for (int r = 0; r < rounds; r++) {
                    start.await(10, TimeUnit.SECONDS);
                    Selector s = current.get();
                    for (Pipe p : pipes) {
                        try {
                            p.source().register(s, SelectionKey.OP_READ);
                        } catch (ClosedSelectorException | ClosedChannelException expected) {
                            // the close won
                        } catch (Throwable e) {
                            unexpected.compareAndSet(null, e);
                        }
                    }
                    end.await(10, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                unexpected.compareAndSet(null, e);
            }
        }, "registrar");
        registrar.setDaemon(true);
        registrar.start();
        for (int r = 0; r < rounds && unexpected.get() == null; r++) {
            OverlaySelector s = (OverlaySelector) nodes.provider.openSelector();
            current.set(s);
            start.await(10, TimeUnit.SECONDS);
            try {
                s.close();
            } catch (Throwable e) {
                unexpected.compareAndSet(null, e);
            }
            end.await(10, TimeUnit.SECONDS);
            assertThat(s.innerSelector().isOpen()).as("inner selector of round " + r).isFalse();
            for (Pipe p : pipes) {
                SelectionKey left = p.source().keyFor(s);
                assertThat(left).as("key left behind in round " + r).isNull();
            }
        }
        registrar.join(10_000);
        assertThat(unexpected.get()).isNull();
        // every pipe can still be registered and selected
        Selector selector = later(nodes.provider.openSelector());
        for (Pipe p : pipes) {
            p.source().register(selector, SelectionKey.OP_READ);
            p.sink().write(ByteBuffer.allocate(1));
        }
        long deadline = System.nanoTime() + Bg.STEP.toNanos();
        while (selector.selectedKeys().size() < pipes.size() && System.nanoTime() - deadline < 0) {
            selector.select(100);
        }
        assertThat(selector.selectedKeys()).hasSize(pipes.size());
    }

    // ------------------------------------------------------------------ stale wake-ups

    /**
     * wakeup(), then a selection that finds {@code k} ready: the wake-up is consumed, so once
     * {@code k}'s channel is drained a timed selection blocks until its timeout.
     */
    private static void aWakeupIsConsumedByASelectionThatFindsAKey(Selector selector, SelectionKey k,
            ReadableByteChannel readable) throws IOException {
        selectUntil(selector, k); // k's channel is ready
        selector.selectedKeys().clear();
        selector.wakeup();
        assertThat(selector.select()).isEqualTo(1);
        assertThat(selector.selectedKeys()).containsExactly(k);
        drain(readable);
        selector.selectedKeys().clear();
        long t0 = System.nanoTime();
        assertThat(selector.select(300)).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).as("select(300) took").isGreaterThanOrEqualTo(290);
    }

    @Test
    void aWakeupConsumedByASelectionWithAKernelKeyReadyIsNotSeenAgain() throws Exception {
        Selector selector = later(nodes.provider.openSelector());
        Pipe p = pipe();
        SelectionKey k = p.source().register(selector, SelectionKey.OP_READ);
        p.sink().write(ByteBuffer.allocate(3));
        aWakeupIsConsumedByASelectionThatFindsAKey(selector, k, p.source());
    }

    @Test
    void aWakeupConsumedByASelectionWithAnOverlayKeyReadyIsNotSeenAgain() throws Exception {
        Selector selector = later(nodes.provider.openSelector());
        Pair p = overlayPair();
        SelectionKey k = p.accepted().register(selector, SelectionKey.OP_READ);
        ByteBuffer b = ByteBuffer.allocate(3);
        while (b.hasRemaining()) {
            p.client().write(b);
        }
        aWakeupIsConsumedByASelectionThatFindsAKey(selector, k, p.accepted());
    }

    // ------------------------------------------------------------------ concurrent interest changes

    @Test
    void concurrentInterestChangesLeaveTheInnerKeyWithTheOuterInterest() throws Exception {
        Selector selector = later(nodes.provider.openSelector());
        Pipe p = pipe();
        OverlayKey k = (OverlayKey) p.sink().register(selector, 0); // a sink: OP_WRITE only
        SelectionKey ik = k.inner();
        assertThat(ik).isNotNull();
        k.beforeInnerWrite = Thread::yield; // widens the window between the update and the inner write
        int threads = 3;
        int rounds = 2000;
        CyclicBarrier barrier = new CyclicBarrier(threads + 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        barrier.await(10, TimeUnit.SECONDS);
                        // one thread sets, the others clear or OR in: the last inner write must not be stale
                        switch ((id + r) % 3) {
                            case 0 -> k.interestOps(0);
                            case 1 -> k.interestOpsOr(SelectionKey.OP_WRITE);
                            default -> k.interestOpsAnd(0);
                        }
                        switch ((id + r + 1) % 3) {
                            case 0 -> k.interestOps(SelectionKey.OP_WRITE);
                            case 1 -> k.interestOps(0);
                            default -> k.interestOpsOr(SelectionKey.OP_WRITE);
                        }
                        barrier.await(10, TimeUnit.SECONDS);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "interest-" + t);
            w.setDaemon(true);
            w.start();
            workers.add(w);
        }
        int mismatches = 0;
        for (int r = 0; r < rounds && failure.get() == null; r++) {
            barrier.await(10, TimeUnit.SECONDS); // go
            barrier.await(10, TimeUnit.SECONDS); // all done
            if (ik.interestOps() != k.interestOps()) {
                mismatches++;
            }
        }
        for (Thread w : workers) {
            w.join(10_000);
        }
        assertThat(failure.get()).isNull();
        k.beforeInnerWrite = null;
        assertThat(mismatches).as("rounds ending with the inner interest != the outer one").isZero();

        // and the selector reports what the key is interested in
        k.interestOps(SelectionKey.OP_WRITE);
        assertThat(selector.selectNow()).isEqualTo(1);
        assertThat(k.readyOps()).isEqualTo(SelectionKey.OP_WRITE);
    }

    @Test
    void anInterestChangeOvertakenByAnotherDoesNotLeaveTheInnerKeyStale() throws Exception {
        Selector selector = later(nodes.provider.openSelector());
        Pipe p = pipe();
        OverlayKey k = (OverlayKey) p.sink().register(selector, 0); // a sink: OP_WRITE only, writable now
        CountDownLatch updated = new CountDownLatch(1);
        CountDownLatch overtaken = new CountDownLatch(1);
        Thread slow = new Thread(() -> k.interestOps(0), "slow");
        k.beforeInnerWrite = () -> {
            if (Thread.currentThread() == slow && updated.getCount() > 0) {
                updated.countDown();
                try {
                    overtaken.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        slow.start();
        assertThat(updated.await(10, TimeUnit.SECONDS)).isTrue(); // slow set 0, has not written the inner key
        k.interestOpsOr(SelectionKey.OP_WRITE); // overtakes it: inner key gets OP_WRITE
        overtaken.countDown(); // slow's write of 0 lands last
        slow.join(10_000);
        k.beforeInnerWrite = null;
        assertThat(k.interestOps()).isEqualTo(SelectionKey.OP_WRITE);
        assertThat(k.inner().interestOps()).isEqualTo(SelectionKey.OP_WRITE);
        assertThat(selector.selectNow()).isEqualTo(1);
        assertThat(k.readyOps()).isEqualTo(SelectionKey.OP_WRITE);
    }
}
