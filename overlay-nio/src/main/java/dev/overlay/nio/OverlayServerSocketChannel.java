package dev.overlay.nio;

import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamError;
import dev.overlay.stream.StreamListener;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The overlay provider's {@link ServerSocketChannel}. Bound to a port the overlay serves
 * ({@link OverlayBackend#listener(int)} is not null), whatever the host part of the address, it
 * accepts overlay streams only: its platform channel is closed unbound, so no kernel port is ever
 * opened, and each accepted channel is an overlay {@link OverlaySocketChannel} whose remote
 * address is the peer's handle. Any other bind (port 0, a port not served, a Unix-domain address)
 * goes to the platform channel, and the channel is the platform's in a thin wrapper; its accepted
 * channels are kernel {@link OverlaySocketChannel}s.
 *
 * <p>One server at a time may hold a served port, server channel or {@link java.net.ServerSocket}
 * of the same backend alike (a second bind fails with {@link BindException} "port P is already bound
 * on the overlay", as for a kernel port); closing it closes the port's listener, so that
 * connections to it are refused until the next bind (the backend hands out a new listener then).
 */
public final class OverlayServerSocketChannel extends ServerSocketChannel {
    /** How long an interrupted blocked operation waits for the interruptor to close the channel. */
    private static final long INTERRUPT_CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    private final OverlaySelectorProvider provider;
    private final boolean overlayCapable;
    final Registrable registrable = new Reg();
    private final ChannelKeys keys = new ChannelKeys();
    private final ReentrantLock acceptLock = new ReentrantLock();
    private final ReentrantLock stateLock = new ReentrantLock();
    private final Condition changed = stateLock.newCondition();

    /** The platform channel while this channel is kernel; null once bound to a served port. */
    private volatile ServerSocketChannel platform;
    // ---- overlay state (under stateLock)
    private volatile StreamListener listener;
    private OverlayBackend backend;
    private volatile int port;
    private volatile OverlayOptions options;
    /** A stream taken from the listener to answer a readiness question; the next accept returns it. */
    private OverlayStream pending;
    /**
     * Whether accept() has thrown for a listener closed underneath: until then a selector finds the
     * channel acceptable, so that accept() says what happened; after that no longer, so a selection
     * loop does not spin on it (it would be dropped from the selector's level set). Guarded by stateLock.
     */
    private boolean closedReported;
    /** Threads in a blocking accept (changed under stateLock). */
    private volatile int waiters;
    private volatile ChannelServerSocket adaptor;

    OverlayServerSocketChannel(OverlaySelectorProvider provider, ServerSocketChannel platform, boolean overlayCapable) {
        super(provider);
        this.provider = provider;
        this.platform = Objects.requireNonNull(platform, "platform");
        this.overlayCapable = overlayCapable;
    }

    /** The platform channel while kernel, else null. */
    ServerSocketChannel kernelChannel() {
        return platform;
    }

    private void syncClosed(ServerSocketChannel p) {
        if (platform == p && !p.isOpen() && isOpen()) {
            try {
                close();
            } catch (IOException ignored) {
                // the platform channel is closed already
            }
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    // ------------------------------------------------------------------ bind

    @Override
    public ServerSocketChannel bind(SocketAddress local, int backlog) throws IOException {
        ServerSocketChannel p = platform;
        if (p == null) {
            ensureOpen();
            throw new AlreadyBoundException();
        }
        if (!served(local)) {
            try {
                p.bind(local, backlog);
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
            return this;
        }
        int servedPort = ((InetSocketAddress) local).getPort();
        OverlayBackend b = provider.backend();
        // One owner per served port, shared with ServerSockets of the same backend.
        Backends.claimServed(b, servedPort);
        boolean bound = false;
        try {
            StreamListener l = b.listener(servedPort);
            if (l == null || l.isClosed()) {
                throw new BindException("Cannot bind overlay port " + servedPort + ": its listener is closed");
            }
            bindOverlay(p, servedPort, b, l);
            bound = true;
        } finally {
            if (!bound) {
                Backends.releaseServed(b, servedPort);
            }
        }
        return this;
    }

    /** Whether {@code local} names a served port (asked without starting the runtime), else a kernel bind. */
    private boolean served(SocketAddress local) throws IOException {
        if (!overlayCapable || !(local instanceof InetSocketAddress isa) || isa.getPort() == 0 || !isOpen()) {
            return false;
        }
        // Only a served port needs the runtime (or fails on it).
        return provider.serves(isa.getPort());
    }

    private void bindOverlay(ServerSocketChannel p, int servedPort, OverlayBackend b, StreamListener l) throws IOException {
        acceptLock.lock();
        try {
            stateLock.lock();
            try {
                ensureOpen();
                if (platform != p || p.getLocalAddress() != null) {
                    throw new AlreadyBoundException();
                }
                options = OverlayOptions.copyOf(p);
                backend = b;
                port = servedPort;
                listener = l;
                platform = null;
                keys.toOverlay();
                try {
                    p.close(); // never bound: no kernel port was opened
                } catch (IOException ignored) {
                    // unbound
                }
                keys.wakeSelectors();
            } finally {
                stateLock.unlock();
            }
        } finally {
            acceptLock.unlock();
        }
        l.setReadinessListener(this::listenerChanged);
        listenerChanged(); // streams may be waiting already
    }

    /** The listener's readiness callback (the node's event loop): locks only when an accept waits. */
    private void listenerChanged() {
        if (waiters > 0) {
            stateLock.lock();
            try {
                changed.signalAll();
            } finally {
                stateLock.unlock();
            }
        }
        keys.signal();
    }

    // ------------------------------------------------------------------ options, addresses

    @Override
    public <T> ServerSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        ServerSocketChannel p = platform;
        if (p != null) {
            try {
                p.setOption(name, value);
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
            return this;
        }
        OverlayOptions o = options;
        Object checked = o.check(name, value);
        ensureOpen();
        o.put(name, checked);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        ServerSocketChannel p = platform;
        if (p != null) {
            try {
                return p.getOption(name);
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
        }
        OverlayOptions o = options;
        o.checkSupported(name);
        ensureOpen();
        return o.get(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        ServerSocketChannel p = platform;
        return p != null ? p.supportedOptions() : options.supported();
    }

    /** For a served port: this node's handle and the port. */
    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ServerSocketChannel p = platform;
        if (p != null) {
            try {
                return p.getLocalAddress();
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
        }
        ensureOpen();
        return new InetSocketAddress(backend.localHandle(), port);
    }

    /** The served overlay port, or -1 while this is a kernel channel. */
    int overlayPort() {
        return platform == null ? port : -1;
    }

    boolean isBound() {
        ServerSocketChannel p = platform;
        return p != null ? p.socket().isBound() : true;
    }

    @Override
    public ServerSocket socket() {
        ServerSocketChannel p = platform;
        if (p != null && !overlayCapable) {
            return p.socket();
        }
        ChannelServerSocket s = adaptor;
        if (s == null) {
            stateLock.lock();
            try {
                s = adaptor;
                if (s == null) {
                    s = new ChannelServerSocket(this);
                    adaptor = s;
                }
            } finally {
                stateLock.unlock();
            }
        }
        return s;
    }

    // ------------------------------------------------------------------ accept

    @Override
    public SocketChannel accept() throws IOException {
        ServerSocketChannel p = platform;
        if (p != null) {
            SocketChannel sc;
            try {
                sc = p.accept();
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
            return sc == null ? null : new OverlaySocketChannel(provider, sc, overlayCapable);
        }
        return overlayAccept(0);
    }

    /** For the adaptor: wraps a kernel connection its platform adaptor accepted. */
    OverlaySocketChannel wrapAccepted(SocketChannel sc) {
        return new OverlaySocketChannel(provider, sc, overlayCapable);
    }

    /** A blocking accept for the adaptor, at most {@code timeoutNanos} (0: forever). */
    SocketChannel adaptorAccept(long timeoutNanos) throws IOException {
        if (!isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        return overlayAccept(timeoutNanos);
    }

    private SocketChannel overlayAccept(long timeoutNanos) throws IOException {
        acceptLock.lock();
        try {
            if (!isBlocking()) {
                ensureOpen();
                OverlayStream s = takeOrFail();
                return s == null ? null : new OverlaySocketChannel(provider, backend, s);
            }
            OverlayStream s = null;
            try {
                begin(); // an interrupt already pending closes the channel here
                ensureOpen();
                stateLock.lock();
                waiters++; // before the first look at the listener: see listenerChanged()
                try {
                    long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
                    while (isOpen()) {
                        s = takeOrFail();
                        if (s != null) {
                            break;
                        }
                        if (!await(deadline)) {
                            break; // interrupted: the channel is closed
                        }
                    }
                } finally {
                    waiters--;
                    stateLock.unlock();
                }
            } finally {
                try {
                    end(s != null);
                } catch (IOException e) {
                    if (s != null) {
                        s.reset(StreamError.NO_ERROR); // closed by an interrupt after all
                    }
                    throw e;
                }
            }
            return s == null ? null : new OverlaySocketChannel(provider, backend, s);
        } finally {
            acceptLock.unlock();
        }
    }

    private OverlayStream take() {
        stateLock.lock();
        try {
            OverlayStream s = pending;
            if (s != null) {
                pending = null;
                return s;
            }
        } finally {
            stateLock.unlock();
        }
        StreamListener l = listener;
        if (l == null) {
            throw new NotYetBoundException();
        }
        return l.poll();
    }

    /** A stream waiting to be accepted, or null; fails once the listener was closed underneath (the runtime stopped). */
    private OverlayStream takeOrFail() throws SocketException {
        OverlayStream s = take();
        if (s == null && listener.isClosed()) {
            stateLock.lock();
            try {
                closedReported = true; // said now: selectors stop reporting it
            } finally {
                stateLock.unlock();
            }
            throw new SocketException("the overlay listener on port " + port + " is closed");
        }
        return s;
    }

    private boolean await(long deadline) throws SocketTimeoutException {
        try {
            if (deadline == 0) {
                changed.await();
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException("Accept timed out");
                }
                changed.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            awaitInterruptClose();
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * An interrupt woke a thread blocked between {@code begin()} and {@code end()}: waits (stateLock
     * held) until the interruptor has closed the channel, so that {@code end()} throws
     * {@link java.nio.channels.ClosedByInterruptException}. On JDK 17 the interruptor closes the
     * channel while the interrupting thread holds the lock {@code end()} needs; from JDK 21 on,
     * {@code Thread.interrupt()} sets the status and unparks the thread first and closes the
     * channel just after, outside that lock. Bounded, in case nothing closes it.
     */
    private void awaitInterruptClose() {
        long deadline = System.nanoTime() + INTERRUPT_CLOSE_WAIT_NANOS;
        long left;
        while (isOpen() && (left = deadline - System.nanoTime()) > 0) {
            try {
                changed.awaitNanos(left);
            } catch (InterruptedException again) {
                // still interrupted; the status is set again by the caller
            }
        }
    }

    // ------------------------------------------------------------------ close, blocking mode

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        ServerSocketChannel p;
        StreamListener l;
        OverlayStream s;
        stateLock.lock();
        try {
            p = platform;
            l = listener;
            s = pending;
            pending = null;
            changed.signalAll();
        } finally {
            stateLock.unlock();
        }
        try {
            if (p != null) {
                p.close();
            }
            if (l != null) {
                l.setReadinessListener(null);
                l.close(); // refuses connections from now on; streams waiting in the backlog are reset
                Backends.releaseServed(backend, port); // after the close: the next owner gets a new listener
            }
            if (s != null) {
                s.reset(StreamError.REFUSED);
            }
        } finally {
            keys.cancelAndWake();
        }
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        acceptLock.lock();
        try {
            ServerSocketChannel p = platform;
            if (p != null) {
                if (block) {
                    keys.beforeBlocking();
                }
                p.configureBlocking(block);
            }
        } finally {
            acceptLock.unlock();
        }
    }

    @Override
    public String toString() {
        ServerSocketChannel p = platform;
        if (p != null) {
            return getClass().getSimpleName() + "[kernel " + p + "]";
        }
        return getClass().getSimpleName() + "[overlay " + (isOpen() ? "port " + port : "closed") + "]";
    }

    private final class Reg implements Registrable {
        @Override
        public void attachKey(OverlayKey key) {
            stateLock.lock();
            try {
                keys.attach(key, platform);
            } finally {
                stateLock.unlock();
            }
        }

        @Override
        public void detachKey(OverlayKey key) {
            keys.detach(key);
        }

        @Override
        public int overlayReadyOps(int interest) {
            if ((interest & SelectionKey.OP_ACCEPT) == 0 || platform != null || !isOpen()) {
                return 0;
            }
            stateLock.lock();
            try {
                StreamListener l = listener;
                if (pending == null && l != null) {
                    pending = l.poll();
                }
                if (pending != null) {
                    return SelectionKey.OP_ACCEPT;
                }
                // A listener closed underneath is "acceptable" until accept() has said what happened;
                // after that the key is not ready again (no busy loop in a dispatcher whose accept throws).
                if (l != null && l.isClosed() && !closedReported) {
                    return SelectionKey.OP_ACCEPT;
                }
                return 0;
            } finally {
                stateLock.unlock();
            }
        }
    }
}
