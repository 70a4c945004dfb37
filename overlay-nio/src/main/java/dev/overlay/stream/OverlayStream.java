package dev.overlay.stream;

import dev.overlay.identity.NodeId;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One reliable, ordered, bidirectional byte stream to a peer, like a TCP connection: blocking
 * {@link #getInputStream()}/{@link #getOutputStream()}, or non-blocking {@link #read(ByteBuffer)}
 * and {@link #write(ByteBuffer)}. Thread-safe; blocking calls use {@code java.util.concurrent}
 * locks, so virtual threads do not pin their carriers.
 *
 * <p>Application threads meet the node's event loop only here: they fill and drain this stream's
 * buffers under its lock and ask the loop for service; the loop moves bytes between the buffers and
 * packets and signals waiting threads.
 */
public final class OverlayStream implements Closeable {
    /** Asks the event loop to look at a stream (new data, window update, shutdown, reset). */
    interface Service {
        void requestService(OverlayStream s);
    }

    final long id;
    /** The connection this stream belongs to: a restarted peer's new connection reuses ids. */
    final Connection conn;
    private final NodeId peer;
    private final int port;
    private final Service service;
    final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    final SendBuffer send;
    final RecvBuffer recv = new RecvBuffer();
    final AtomicBoolean queuedForService = new AtomicBoolean();

    // ---- state, guarded by lock
    boolean opened;
    IOException failure;
    /** When the loop created it (for statistics); opened by the peer, or by us. */
    long createdAt;
    boolean inbound;
    /** Set when the peer stopped reading (STOP_SENDING): writes fail, reads go on. */
    IOException writeFailure;
    /** Set when the peer reset its sending (RESET_STREAM): reads fail, writes go on. */
    IOException readFailure;
    boolean inputShut;
    boolean closed;
    long resetToSend = -1;
    boolean stopSendingToSend;
    boolean windowUpdateWanted;
    /** Send flow-control limit: the peer's MAX_STREAM_DATA. */
    long sendLimit;
    /** What this side advertised: the peer may send below this offset. */
    long recvLimit;
    int recvWindow;
    long lastWindowUpdateAt = Long.MIN_VALUE;
    boolean resetReceived;
    /** Event-loop bookkeeping: already in the connection's send rotation / signal list. */
    boolean inRotation;
    boolean toSignal;
    boolean resetAcked;
    boolean resetQueued;
    boolean stopSent;
    private long readTimeoutNanos;
    private volatile Runnable readinessListener;

    OverlayStream(Connection conn, long id, NodeId peer, int port, Service service, int sendBufferBytes,
                  int initialWindow, long initialSendLimit) {
        this.conn = conn;
        this.id = id;
        this.peer = peer;
        this.port = port;
        this.service = service;
        this.send = new SendBuffer(sendBufferBytes);
        this.recvWindow = initialWindow;
        this.recvLimit = initialWindow;
        this.sendLimit = initialSendLimit;
    }

    /** The key of the node at the other end. */
    public NodeId peer() {
        return peer;
    }

    /** The overlay port of the listener this stream was opened to. */
    public int port() {
        return port;
    }

    /** The stream's id within its connection: the same number at both ends (the low bit tells who opened it). */
    public long id() {
        return id;
    }

    /** Blocking reads wait at most this long, then throw {@link SocketTimeoutException}; zero waits forever. */
    public void setReadTimeout(Duration timeout) {
        lock.lock();
        try {
            readTimeoutNanos = timeout.toNanos();
        } finally {
            lock.unlock();
        }
    }

    /** Called (from any thread, possibly the event loop) whenever readability or writability may have changed. */
    public void setReadinessListener(Runnable listener) {
        this.readinessListener = listener;
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads into {@code dst} without blocking.
     *
     * @return bytes read, 0 if none are available yet, -1 at end of stream
     */
    public int read(ByteBuffer dst) throws IOException {
        lock.lock();
        try {
            return readLocked(dst, null, 0, dst.remaining());
        } finally {
            lock.unlock();
        }
    }

    int readBlocking(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        lock.lock();
        try {
            long deadline = readTimeoutNanos == 0 ? 0 : System.nanoTime() + readTimeoutNanos;
            while (true) {
                int n = readLocked(null, b, off, len);
                if (n != 0) {
                    return n;
                }
                awaitLocked(deadline, "read");
            }
        } finally {
            lock.unlock();
        }
    }

    private int readLocked(ByteBuffer dst, byte[] b, int off, int len) throws IOException {
        if (resetToSend >= 0 && failure != null) {
            throw failure; // reset by this side
        }
        if (readFailure != null) {
            throw readFailure; // like TCP after a RST: what was buffered is discarded
        }
        if (closed || inputShut) {
            return -1;
        }
        int available = recv.readable();
        if (available == 0) {
            if (failure != null && !(recv.atEnd() && !resetReceived && resetToSend < 0)) {
                throw failure; // a reset or a dead connection, not a clean end
            }
            return recv.atEnd() ? -1 : 0;
        }
        int n = dst != null ? recv.read(dst) : recv.read(b, off, len);
        boolean connectionWindow = n > 0 && conn.consumed(n);
        if (n > 0 && recv.readOffset() + recvWindow / 2 >= recvLimit && !windowUpdateWanted) {
            windowUpdateWanted = true; // half the window consumed: grant more (RFC 9000 4.2)
            requestService();
        } else if (connectionWindow) {
            requestService(); // half the connection window consumed across streams: MAX_DATA
        }
        return n;
    }

    /** Bytes that can be read now without blocking. */
    public int available() {
        lock.lock();
        try {
            return closed || inputShut ? 0 : recv.readable();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes from {@code src} without blocking.
     *
     * @return bytes taken (0 when the send buffer is full)
     */
    public int write(ByteBuffer src) throws IOException {
        lock.lock();
        try {
            checkWritableLocked();
            int n = send.write(src);
            if (n > 0) {
                requestService();
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    void writeBlocking(byte[] b, int off, int len) throws IOException {
        ByteBuffer src = ByteBuffer.wrap(b, off, len);
        lock.lock();
        try {
            while (src.hasRemaining()) {
                checkWritableLocked();
                if (send.write(src) > 0) {
                    requestService();
                } else {
                    awaitLocked(0, "write");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void checkWritableLocked() throws IOException {
        if (failure != null) {
            throw failure;
        }
        if (writeFailure != null) {
            throw writeFailure;
        }
        if (closed) {
            throw new SocketException("stream closed");
        }
        if (send.finOffset() >= 0) {
            throw new SocketException("output shut down");
        }
    }

    /** Bytes that can be written now without blocking. */
    public int writable() {
        lock.lock();
        try {
            return failure != null || writeFailure != null || closed || send.finOffset() >= 0 ? 0 : send.space();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ closing

    /** Half-close: everything written so far is delivered, then the peer reads end of stream. */
    public void shutdownOutput() {
        lock.lock();
        try {
            if (failure == null) {
                send.finish();
                requestService();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Further reads return end of stream; data still arriving is discarded. */
    public void shutdownInput() {
        lock.lock();
        try {
            inputShut = true;
            windowUpdateWanted = true;
            requestService();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Aborts both directions with {@code code}: unsent data is dropped, the peer sees a reset. */
    public void reset(long code) {
        lock.lock();
        try {
            if (failure == null && !resetReceived) {
                // Like a TCP RST: the peer's reads and writes both fail, whatever was acknowledged.
                resetToSend = code;
                stopSendingToSend = true;
            }
            inputShut = true; // anything still arriving is discarded, not buffered
            failLocked(new SocketException("stream reset by this side (code " + code + ")"));
            requestService();
        } finally {
            lock.unlock();
        }
    }

    /** Graceful close: every byte already written is still delivered; reads end. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                if (failure == null) {
                    send.finish();
                }
                changed.signalAll();
                requestService();
            }
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Blocks until everything written has been acknowledged by the peer, or the stream fails. */
    public void awaitDelivered(Duration timeout) throws IOException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!send.allAcked()) {
                if (failure != null) {
                    throw failure;
                }
                if (writeFailure != null) {
                    throw writeFailure;
                }
                awaitLocked(deadline, "delivery");
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ streams

    private final InputStream in = new InputStream() {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = readBlocking(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            return readBlocking(b, off, len);
        }

        @Override
        public int available() {
            return OverlayStream.this.available();
        }

        @Override
        public void close() {
            shutdownInput();
        }
    };

    private final OutputStream out = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            writeBlocking(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            writeBlocking(b, off, len);
        }

        @Override
        public void close() {
            shutdownOutput();
        }
    };

    /** Blocking input; {@code close()} on it shuts down input only. */
    public InputStream getInputStream() {
        return in;
    }

    /** Blocking output (unbuffered: each write is handed to the stream); {@code close()} shuts down output. */
    public OutputStream getOutputStream() {
        return out;
    }

    // ------------------------------------------------------------------ loop side

    private void awaitLocked(long deadline, String what) throws IOException {
        if (platformUninterruptible && !isVirtualThread()) {
            awaitUninterruptiblyLocked(changed, deadline, what);
            return;
        }
        try {
            if (deadline == 0) {
                changed.await();
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !changed.await(left, TimeUnit.NANOSECONDS) && deadline - System.nanoTime() <= 0) {
                    throw new SocketTimeoutException(what + " timed out");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(what + " interrupted");
        }
    }

    private volatile boolean platformUninterruptible;

    /**
     * Makes the blocking operations of this stream ignore interrupts on platform threads, as the JDK's
     * sockets do (the interrupt status is kept); virtual threads still get an {@link InterruptedIOException}.
     */
    public void setPlatformUninterruptible(boolean on) {
        platformUninterruptible = on;
    }

    /**
     * One wait on {@code c} (held) that ignores interrupts and keeps the interrupt status: returns when
     * signalled (or spuriously), throws {@link SocketTimeoutException} once {@code deadline} (0: none) passed.
     */
    public static void awaitUninterruptiblyLocked(Condition c, long deadline, String what) throws SocketTimeoutException {
        if (deadline == 0) {
            c.awaitUninterruptibly();
            return;
        }
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException(what + " timed out");
                }
                try {
                    c.awaitNanos(left);
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final java.lang.invoke.MethodHandle IS_VIRTUAL = isVirtualHandle();

    private static java.lang.invoke.MethodHandle isVirtualHandle() {
        try {
            return java.lang.invoke.MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
                    java.lang.invoke.MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // JDK 17-20: no virtual threads
        }
    }

    /** Whether the current thread is a virtual thread ({@code Thread.isVirtual()}, false before JDK 21). */
    public static boolean isVirtualThread() {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
        } catch (Throwable t) {
            return false;
        }
    }

    void requestService() {
        if (queuedForService.compareAndSet(false, true)) {
            service.requestService(this);
        }
    }

    /** Wakes blocked threads and the readiness listener; call with the lock held or not. */
    void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        Callbacks.run(readinessListener, this);
    }

    void signalAllLocked() {
        changed.signalAll();
    }

    /** Fails reads only (the peer reset its sending); writes continue. */
    void failReadsLocked(IOException e) {
        if (readFailure == null) {
            readFailure = e;
        }
        changed.signalAll();
    }

    /** True while this side still sends data: not reset, not failed, the peer still reads. */
    boolean sending() {
        return resetToSend < 0 && failure == null && writeFailure == null;
    }

    /** Fails writes only (the peer stopped reading); reads continue. */
    void failWritesLocked(IOException e) {
        if (writeFailure == null) {
            writeFailure = e;
        }
        changed.signalAll();
    }

    /** Fails the stream for every blocked and future call (first failure wins). */
    void failLocked(IOException e) {
        if (failure == null) {
            failure = e;
        }
        changed.signalAll();
    }

    /** True once the listener accepted the stream. */
    boolean isOpenedForTest() {
        lock.lock();
        try {
            return opened;
        } finally {
            lock.unlock();
        }
    }

    /** True once the listener accepted this stream (always true for an accepted stream). */
    public boolean isOpen() {
        lock.lock();
        try {
            return opened;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Why opening failed (refused, not allowed, the session died), or null while it is open or
     * still opening. The readiness listener runs when this or {@link #isOpen()} changes.
     */
    public IOException openFailure() {
        lock.lock();
        try {
            return opened ? null : failure;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the listener answered the OPEN. */
    public void awaitOpen(java.time.Duration timeout) throws IOException {
        long timeoutNanos = timeout.toNanos();
        lock.lock();
        try {
            long deadline = System.nanoTime() + timeoutNanos;
            while (!opened) {
                if (failure != null) {
                    throw failure;
                }
                awaitLocked(deadline, "connect");
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "stream " + id + " to " + peer.shortName() + ":" + port;
    }
}
