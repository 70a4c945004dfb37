package dev.overlay.stream;

import dev.overlay.identity.NodeId;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * Accepts streams opened to one overlay port, like a listening TCP socket. Streams the allow-list
 * refuses never reach it (the opener sees "not allowed"); when the backlog is full new ones are
 * refused. Thread-safe.
 */
public final class StreamListener implements Closeable {
    private final int port;
    private final Predicate<NodeId> allow;
    private final int backlogLimit;
    private final Runnable onClose;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<OverlayStream> backlog = new ArrayDeque<>();
    private boolean closed;
    private volatile Runnable readinessListener;

    StreamListener(int port, Predicate<NodeId> allow, int backlogLimit, Runnable onClose) {
        this.port = port;
        this.allow = allow;
        this.backlogLimit = backlogLimit;
        this.onClose = onClose;
    }

    public int port() {
        return port;
    }

    /** The allow-list's verdict; a predicate that throws refuses (and is logged), never crashes the loop. */
    boolean allows(NodeId peer) {
        try {
            return allow.test(peer);
        } catch (RuntimeException e) {
            System.getLogger("dev.overlay.stream").log(System.Logger.Level.WARNING,
                    "allow-list of port " + port + " threw for " + peer + "; refused", e);
            return false;
        }
    }

    /** Queues an accepted stream; false when closed or the backlog is full. */
    boolean offer(OverlayStream s) {
        lock.lock();
        try {
            if (closed || backlog.size() >= backlogLimit) {
                return false;
            }
            backlog.addLast(s);
            arrived.signal();
        } finally {
            lock.unlock();
        }
        Callbacks.run(readinessListener, "port " + port);
        return true;
    }

    /** Waits for the next stream. */
    public OverlayStream accept() throws IOException {
        return accept(Duration.ZERO);
    }

    /**
     * Waits at most {@code timeout} (zero: forever) for the next stream.
     *
     * @throws SocketTimeoutException when none arrived in time
     * @throws SocketException when the listener is closed
     */
    public OverlayStream accept(Duration timeout) throws IOException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (backlog.isEmpty()) {
                if (closed) {
                    throw new SocketException("listener on port " + port + " is closed");
                }
                if (timeout.isZero()) {
                    arrived.await();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new SocketTimeoutException("no stream arrived on port " + port + " within " + timeout);
                    }
                    arrived.await(left, TimeUnit.NANOSECONDS);
                }
            }
            return backlog.pollFirst();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("accept interrupted");
        } finally {
            lock.unlock();
        }
    }

    /** The next stream if one is waiting, else null (non-blocking accept). */
    public OverlayStream poll() {
        lock.lock();
        try {
            return backlog.pollFirst();
        } finally {
            lock.unlock();
        }
    }

    public void setReadinessListener(Runnable l) {
        this.readinessListener = l;
    }

    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Stops accepting; streams still in the backlog are reset. */
    @Override
    public void close() {
        ArrayDeque<OverlayStream> dropped;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            dropped = new ArrayDeque<>(backlog);
            backlog.clear();
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        for (OverlayStream s : dropped) {
            s.reset(StreamError.REFUSED);
        }
        onClose.run();
        Callbacks.run(readinessListener, "port " + port); // a waiting accept learns it is closed
    }
}
