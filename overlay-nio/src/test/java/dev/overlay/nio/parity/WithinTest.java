package dev.overlay.nio.parity;

import static dev.overlay.nio.parity.Within.STEP;
import static dev.overlay.nio.parity.Within.awaitBlocked;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The harness's "blocked in the code under test" predicate, which the close/interrupt parity cases rely on. */
class WithinTest {
    private final Within w = new Within();

    @AfterEach
    void close() throws Exception {
        w.close();
    }

    @Test
    void aThreadWaitingInTheTestsOwnCodeIsNotBlockedInTheCodeUnderTest() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Within.Task<Boolean> waiting = w.start("latch", () -> {
            entered.countDown();
            return release.await(STEP.toMillis(), TimeUnit.MILLISECONDS);
        });
        assertThat(entered.await(STEP.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        // Wait until the worker is really parked on the latch, then ask the predicate.
        AtomicReference<Thread.State> state = new AtomicReference<>();
        long deadline = System.nanoTime() + STEP.toNanos();
        while (System.nanoTime() - deadline < 0) {
            state.set(waiting.thread().getState());
            if (state.get() == Thread.State.TIMED_WAITING) {
                break;
            }
            Thread.onSpinWait();
        }
        assertThat(state.get()).isEqualTo(Thread.State.TIMED_WAITING);
        assertThat(Within.isBlocked(waiting.thread())).as("parked on a test latch").isFalse();
        release.countDown();
        assertThat(waiting.get(STEP)).isTrue();
    }

    @Test
    void aThreadInAKernelChannelReadIsBlocked() throws Exception {
        ServerSocketChannel server = w.closeLater(ServerSocketChannel.open());
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        SocketChannel client = w.closeLater(SocketChannel.open(server.getLocalAddress()));
        w.closeLater(server.accept());
        Within.Task<Integer> reader = w.start("read", () -> client.read(ByteBuffer.allocate(8)));
        assertThat(awaitBlocked(reader)).isTrue();
        client.close();
        assertThat(reader.failure(STEP)).isNotNull();
    }
}
