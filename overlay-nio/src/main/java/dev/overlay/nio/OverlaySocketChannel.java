package dev.overlay.nio;

import dev.overlay.identity.NodeId;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamError;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The overlay provider's {@link SocketChannel}: a platform socket channel in a thin wrapper until
 * it connects to an overlay address, then an overlay stream.
 *
 * <p><b>Kernel.</b> Every call goes to the platform channel, so it behaves as that channel does in
 * every observable way; only {@link #provider()}, {@link #socket()}'s {@code getChannel()} and the
 * selection keys are the wrapper's. When a blocking call of the platform channel closed it (an
 * interrupt, a failed connect), the wrapper closes itself before rethrowing.
 *
 * <p><b>Overlay.</b> {@link #connect} to an unresolved {@code <base32>.overlay} name (or alias)
 * or an IPv6 handle ({@code fd6f::/16}) closes the platform channel (the socket options set so far
 * are kept) and opens a stream through the provider's {@link OverlayBackend}. From then on the
 * channel follows the {@code SocketChannel} contract over the stream: blocking and non-blocking
 * connect with {@link #finishConnect()}, reads and writes (scattering and gathering), half-close,
 * selection, and the close and interrupt rules of {@link java.nio.channels.spi.AbstractInterruptibleChannel}
 * (a thread interrupted in a blocking operation closes the channel and gets
 * {@link java.nio.channels.ClosedByInterruptException}; a close from another thread ends a blocked
 * operation with {@link AsynchronousCloseException}). {@link #getLocalAddress()} is this node's
 * handle, {@link #getRemoteAddress()} the peer's handle and port, {@link #overlayPeer()} the peer's
 * key. Channels accepted by an overlay {@link OverlayServerSocketChannel} are overlay from the start.
 *
 * <p>Locks: {@code readLock} and {@code writeLock} order readers and writers (as the JDK's own
 * channel does); {@code stateLock} guards the overlay state, and blocked operations wait on its
 * condition, which the stream's readiness listener signals. Nothing is {@code synchronized}, so
 * virtual threads blocked here release their carrier.
 */
public final class OverlaySocketChannel extends SocketChannel implements OverlayPeer {
    /** How long an interrupted blocked operation waits for the interruptor to close the channel. */
    private static final long INTERRUPT_CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long an overlay connect may take (path finding, lookup, the peer's answer). */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final int UNCONNECTED = 0;
    private static final int CONNECTING = 1;
    private static final int CONNECTED = 2;
    /** A zero-length buffer to ask a stream whether a read or write would fail or end. */
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final OverlaySelectorProvider provider;
    /** False for channels that must stay kernel (other protocol families, inherited channels). */
    private final boolean overlayCapable;
    final Registrable registrable = new Reg();
    private final ChannelKeys keys = new ChannelKeys();
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock stateLock = new ReentrantLock();
    private final Condition changed = stateLock.newCondition();

    /** The platform channel while this channel is kernel; null once it is overlay. */
    private volatile SocketChannel platform;

    // ---- overlay state (written under stateLock)
    private volatile int state = UNCONNECTED;
    private OverlayBackend backend;
    private volatile OverlayOptions options;
    private volatile OverlayStream stream;
    private volatile IOException openError;
    private volatile boolean connectTimedOut;
    private CompletableFuture<Void> connectTimer;
    private volatile InetSocketAddress remoteAddress;
    private volatile InetSocketAddress localAddress;
    private int boundPort;
    /** Threads in a blocking wait on {@link #changed} (changed under stateLock). */
    private volatile int waiters;
    private volatile boolean inputShut;
    private volatile boolean outputShut;
    private volatile ChannelSocket adaptor;

    /** A kernel channel around {@code platform}. */
    OverlaySocketChannel(OverlaySelectorProvider provider, SocketChannel platform, boolean overlayCapable) {
        super(provider);
        this.provider = provider;
        this.platform = Objects.requireNonNull(platform, "platform");
        this.overlayCapable = overlayCapable;
    }

    /** An overlay channel for {@code accepted}, a stream accepted on overlay {@code port}. */
    OverlaySocketChannel(OverlaySelectorProvider provider, OverlayBackend backend, OverlayStream accepted) {
        super(provider);
        this.provider = provider;
        this.platform = null;
        this.overlayCapable = true;
        this.backend = backend;
        this.options = OverlayOptions.socketDefaults();
        this.stream = accepted;
        this.state = CONNECTED;
        this.localAddress = new InetSocketAddress(backend.localHandle(), accepted.port());
        this.remoteAddress = new InetSocketAddress(backend.handleOf(accepted.peer()), streamPort(accepted));
        accepted.setReadinessListener(this::streamChanged);
    }

    /**
     * The key of the node at the other end: the identity it proved in the handshake. Null for a
     * kernel channel and for an overlay channel that is not connected (yet).
     */
    @Override
    public NodeId overlayPeer() {
        OverlayStream s = stream;
        return s != null && state == CONNECTED ? s.peer() : null;
    }

    /** The platform channel while this is a kernel channel, else null. */
    SocketChannel kernelChannel() {
        return platform;
    }

    /**
     * The port an overlay stream shows at the end that opened it: derived from the stream's id,
     * so both ends see the same number (a server logging its client's port and the client's own
     * {@code getLocalAddress()} agree).
     */
    static int streamPort(OverlayStream s) {
        return 49152 + (int) ((s.id() >>> 1) % 16384);
    }

    // ------------------------------------------------------------------ kernel delegation helpers

    /** The platform channel closed itself during a call (interrupt, failed connect): so does the wrapper. */
    private void syncClosed(SocketChannel p) {
        if (platform == p && !p.isOpen() && isOpen()) {
            try {
                close();
            } catch (IOException ignored) {
                // closing a closed platform channel does not fail
            }
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    // ------------------------------------------------------------------ NetworkChannel

    @Override
    public SocketChannel bind(SocketAddress local) throws IOException {
        SocketChannel p = platform;
        if (p != null) {
            try {
                p.bind(local);
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
            return this;
        }
        ensureOpen();
        throw new AlreadyBoundException(); // an overlay channel is connecting or connected: bound
    }

    @Override
    public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        SocketChannel p = platform;
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
        SocketChannel p = platform;
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
        SocketChannel p = platform;
        return p != null ? p.supportedOptions() : options.supported();
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        SocketChannel p = platform;
        if (p != null) {
            try {
                return p.getLocalAddress();
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
        }
        ensureOpen();
        return localAddress;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        SocketChannel p = platform;
        if (p != null) {
            try {
                return p.getRemoteAddress();
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
        }
        ensureOpen();
        return remoteAddress;
    }

    // ------------------------------------------------------------------ state

    @Override
    public boolean isConnected() {
        SocketChannel p = platform;
        return p != null ? p.isConnected() : state == CONNECTED && isOpen();
    }

    @Override
    public boolean isConnectionPending() {
        SocketChannel p = platform;
        return p != null ? p.isConnectionPending() : state == CONNECTING && isOpen();
    }

    boolean isInputShutdown() {
        SocketChannel p = platform;
        return p != null ? p.socket().isInputShutdown() : inputShut || !isOpen();
    }

    boolean isOutputShutdown() {
        SocketChannel p = platform;
        return p != null ? p.socket().isOutputShutdown() : outputShut || !isOpen();
    }

    @Override
    public Socket socket() {
        SocketChannel p = platform;
        if (p != null && !overlayCapable) {
            return p.socket(); // Unix domain: UnsupportedOperationException, as the platform's
        }
        ChannelSocket s = adaptor;
        if (s == null) {
            stateLock.lock();
            try {
                s = adaptor;
                if (s == null) {
                    try {
                        s = new ChannelSocket(this);
                    } catch (java.net.SocketException e) {
                        throw new InternalError(e); // Socket(SocketImpl) throws only under a security manager
                    }
                    adaptor = s;
                }
            } finally {
                stateLock.unlock();
            }
        }
        return s;
    }

    // ------------------------------------------------------------------ connect

    @Override
    public boolean connect(SocketAddress remote) throws IOException {
        SocketChannel p = platform;
        if (p != null && !toOverlay(p, remote)) {
            try {
                return p.connect(remote);
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
        }
        return connectOverlay(p, remote, 0);
    }

    /** True when {@code remote} is an overlay address this kernel channel must switch for. */
    private boolean toOverlay(SocketChannel p, SocketAddress remote) throws IOException {
        if (!overlayCapable) {
            return false;
        }
        try {
            return provider.isOverlay(remote);
        } catch (IOException e) {
            // The overlay cannot be reached at all (not configured, failed to start): a failed connect.
            close();
            ConnectException c = new ConnectException("cannot connect to " + remote + ": " + e.getMessage());
            c.initCause(e);
            throw c;
        }
    }

    /** Called by the socket adaptor: a blocking connect with a timeout (0: none). */
    void adaptorConnect(SocketAddress remote, int timeoutMillis) throws IOException {
        SocketChannel p = platform;
        if (p != null && !toOverlay(p, remote)) {
            try {
                p.socket().connect(remote, timeoutMillis);
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
            return;
        }
        if (!isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        try {
            connectOverlay(p, remote, timeoutMillis == 0 ? 0 : TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
        } catch (ClosedChannelException e) {
            if (e instanceof AsynchronousCloseException) {
                throw e;
            }
            throw translated(e, "Socket is closed");
        } catch (AlreadyConnectedException e) {
            throw translated(e, "Already connected");
        } catch (ConnectionPendingException e) {
            throw translated(e, "Connection pending");
        }
    }

    private static java.net.SocketException translated(Exception e, String message) {
        java.net.SocketException s = new java.net.SocketException(message);
        s.initCause(e);
        return s;
    }

    /**
     * Connects through the overlay. {@code p} is the platform channel when this channel is still
     * kernel (it is closed here); {@code timeoutNanos} bounds a blocking connect (0: only
     * {@link #CONNECT_TIMEOUT}), failing it with {@link SocketTimeoutException}.
     */
    private boolean connectOverlay(SocketChannel p, SocketAddress remote, long timeoutNanos) throws IOException {
        readLock.lock();
        try {
            writeLock.lock();
            try {
                InetSocketAddress target;
                stateLock.lock();
                try {
                    ensureOpen();
                    if (p != null && platform == p) {
                        if (p.isConnected()) {
                            throw new AlreadyConnectedException();
                        }
                        if (p.isConnectionPending()) {
                            throw new ConnectionPendingException();
                        }
                        becomeOverlay(p);
                    } else if (state == CONNECTED) {
                        throw new AlreadyConnectedException();
                    } else if (state == CONNECTING) {
                        throw new ConnectionPendingException();
                    } else if (!(remote instanceof InetSocketAddress)) {
                        throw new java.nio.channels.UnsupportedAddressTypeException();
                    }
                    target = (InetSocketAddress) remote;
                    state = CONNECTING;
                    remoteAddress = target;
                    try {
                        localAddress = new InetSocketAddress(backend.localHandle(), Math.max(0, boundPort));
                    } catch (RuntimeException e) {
                        openError = new ConnectException("the overlay has no local address: " + e);
                    }
                } finally {
                    stateLock.unlock();
                }
                if (!isBlocking()) {
                    startOpen(target);
                    return false;
                }
                boolean completed = false;
                boolean timedOut = false;
                try {
                    begin(); // an interrupt already pending closes the channel here
                    if (isOpen()) {
                        startOpen(target);
                    }
                    try {
                        completed = awaitConnect(timeoutNanos);
                    } catch (SocketTimeoutException e) {
                        timedOut = true;
                    }
                } finally {
                    end(completed);
                }
                if (timedOut) {
                    close();
                    throw new SocketTimeoutException("Connect timed out");
                }
                return completeConnect();
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
    }

    /** Leaves the kernel: keeps the options and bound port, moves the keys, closes the platform channel. */
    private void becomeOverlay(SocketChannel p) throws IOException {
        OverlayBackend b = provider.backend();
        int bound = -1;
        try {
            if (p.getLocalAddress() instanceof InetSocketAddress local) {
                bound = local.getPort();
            }
        } catch (IOException e) {
            // unbound
        }
        options = OverlayOptions.copyOf(p);
        backend = b;
        boundPort = bound;
        platform = null;
        keys.toOverlay();
        try {
            p.close();
        } catch (IOException ignored) {
            // nothing was sent on it
        }
        keys.wakeSelectors(); // the inner selector releases the descriptor at its next selection
    }

    private void startOpen(InetSocketAddress target) {
        CompletableFuture<OverlayStream> f;
        try {
            f = openError != null ? CompletableFuture.failedFuture(openError) : backend.open(target, CONNECT_TIMEOUT);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Void> timer = new CompletableFuture<>();
        stateLock.lock();
        try {
            connectTimer = timer;
        } finally {
            stateLock.unlock();
        }
        timer.orTimeout(CONNECT_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS).whenComplete((v, e) -> {
            if (e != null) {
                connectDeadline();
            }
        });
        f.whenComplete(this::opened);
    }

    /** The backend answered the open (often on the node's event loop: must not block). */
    private void opened(OverlayStream s, Throwable failure) {
        boolean abandoned;
        stateLock.lock();
        try {
            abandoned = !isOpen() || state != CONNECTING;
            if (!abandoned) {
                if (failure != null) {
                    openError = asIOException(failure);
                } else {
                    stream = s;
                }
            }
        } finally {
            stateLock.unlock();
        }
        if (abandoned) {
            if (s != null) {
                s.reset(StreamError.NO_ERROR); // closed while connecting
            }
            return;
        }
        if (s != null) {
            s.setReadinessListener(this::streamChanged);
        }
        streamChanged(); // the stream may have been answered before the listener was set
    }

    private void connectDeadline() {
        stateLock.lock();
        try {
            if (state == CONNECTING) {
                connectTimedOut = true;
            }
            changed.signalAll();
        } finally {
            stateLock.unlock();
        }
        keys.signal();
    }

    /** The stream's readability, writability or open state may have changed. */
    /**
     * The stream's readiness listener (often the node's event loop). It takes the state lock only
     * when a thread waits: a waiter counts itself (under the lock) before it first looks at the
     * stream, so a change it did not see is one whose listener sees it counted and signals.
     */
    private void streamChanged() {
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

    private boolean connectDone() {
        if (openError != null || connectTimedOut) {
            return true;
        }
        OverlayStream s = stream;
        return s != null && (s.isOpen() || s.openFailure() != null);
    }

    /**
     * Waits until the connect is answered. False when the channel was closed or the thread
     * interrupted meanwhile ({@link #end} then says which).
     */
    private boolean awaitConnect(long timeoutNanos) throws SocketTimeoutException {
        stateLock.lock();
        waiters++;
        try {
            long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
            while (isOpen()) {
                if (connectDone()) {
                    return true;
                }
                if (!await(deadline, "Connect")) {
                    return false;
                }
            }
            return false;
        } finally {
            waiters--;
            stateLock.unlock();
        }
    }

    /** Concludes an answered connect: connected, or closed with the reason thrown. */
    private boolean completeConnect() throws IOException {
        IOException why = null;
        stateLock.lock();
        try {
            ensureOpen();
            if (state == CONNECTED) {
                return true;
            }
            OverlayStream s = stream;
            if (s != null && s.isOpen()) {
                state = CONNECTED;
                InetSocketAddress asked = remoteAddress;
                // A same-JVM loopback connection to a served port reports the loopback address it was given.
                remoteAddress = asked != null && !asked.isUnresolved() && asked.getAddress().isLoopbackAddress() ? asked
                        : new InetSocketAddress(backend.handleOf(s.peer()), s.port());
                localAddress = new InetSocketAddress(backend.localHandle(), boundPort > 0 ? boundPort : streamPort(s));
                if (connectTimer != null) {
                    connectTimer.complete(null);
                }
            } else {
                why = openError != null ? openError : s != null ? s.openFailure() : null;
                if (why == null) {
                    why = new ConnectException("Connection timed out: " + remoteAddress + " did not answer within "
                            + CONNECT_TIMEOUT.toSeconds() + " s");
                }
            }
        } finally {
            stateLock.unlock();
        }
        if (why == null) {
            keys.signal();
            return true;
        }
        close();
        throw connectFailure(why);
    }

    private static IOException asIOException(Throwable t) {
        if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof IOException e) {
            return e;
        }
        return new IOException(t.getMessage(), t);
    }

    /** A fresh exception for the caller's thread, of the kind a failed connect throws, with the overlay's as the cause. */
    private static IOException connectFailure(IOException why) {
        IOException e = why instanceof UnknownHostException ? new UnknownHostException(why.getMessage())
                : new ConnectException(why.getMessage());
        e.initCause(why);
        return e;
    }

    @Override
    public boolean finishConnect() throws IOException {
        SocketChannel p = platform;
        if (p != null) {
            try {
                return p.finishConnect();
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
        }
        readLock.lock();
        try {
            writeLock.lock();
            try {
                ensureOpen();
                int st = state;
                if (st == CONNECTED) {
                    return true;
                }
                if (st != CONNECTING) {
                    throw new NoConnectionPendingException();
                }
                if (!isBlocking()) {
                    return connectDone() && completeConnect();
                }
                boolean completed = false;
                try {
                    begin();
                    completed = awaitConnect(0);
                } finally {
                    end(completed);
                }
                return completeConnect();
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
    }

    // ------------------------------------------------------------------ reading

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst);
        SocketChannel p = platform;
        if (p != null) {
            try {
                return p.read(dst);
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
        }
        return (int) overlayRead(dst, null, 0, 0, 0);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        SocketChannel p = platform;
        if (p != null) {
            try {
                return p.read(dsts, offset, length);
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
        }
        return overlayRead(null, dsts, offset, length, 0);
    }

    /** A blocking read for the socket adaptor's input stream: at most {@code timeoutNanos} (0: forever). */
    int adaptorRead(ByteBuffer dst, long timeoutNanos) throws IOException {
        if (!isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        return (int) overlayRead(dst, null, 0, 0, timeoutNanos);
    }

    private long overlayRead(ByteBuffer one, ByteBuffer[] many, int offset, int length, long timeoutNanos)
            throws IOException {
        readLock.lock();
        try {
            boolean blocking = isBlocking();
            if (!blocking) {
                ensureOpen();
                checkReadable(one, many, offset, length);
                return inputShut ? -1 : readNow(one, many, offset, length);
            }
            long n = 0;
            try {
                begin(); // an interrupt already pending closes the channel here
                ensureOpen();
                checkReadable(one, many, offset, length);
                stateLock.lock();
                waiters++; // before the first look at the stream: see streamChanged()
                try {
                    long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
                    while (isOpen()) {
                        if (inputShut) {
                            n = -1;
                            break;
                        }
                        n = readNow(one, many, offset, length);
                        if (n != 0 || !hasRemaining(one, many, offset, length)) {
                            break;
                        }
                        if (!await(deadline, "Read")) {
                            break; // interrupted: the channel is closed
                        }
                    }
                } finally {
                    waiters--;
                    stateLock.unlock();
                }
            } finally {
                end(n > 0);
            }
            return n;
        } finally {
            readLock.unlock();
        }
    }

    private void checkReadable(ByteBuffer one, ByteBuffer[] many, int offset, int length) {
        if (state != CONNECTED) {
            throw new NotYetConnectedException();
        }
        if (one != null) {
            if (one.isReadOnly()) {
                throw new IllegalArgumentException("Read-only buffer");
            }
            return;
        }
        for (int i = offset; i < offset + length; i++) {
            if (many[i].isReadOnly()) {
                throw new IllegalArgumentException("Read-only buffer");
            }
        }
    }

    private long readNow(ByteBuffer one, ByteBuffer[] many, int offset, int length) throws IOException {
        OverlayStream s = stream;
        if (one != null) {
            return one.hasRemaining() ? s.read(one) : 0;
        }
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = many[i];
            if (!b.hasRemaining()) {
                continue;
            }
            int r = s.read(b);
            if (r < 0) {
                return total > 0 ? total : -1;
            }
            total += r;
            if (b.hasRemaining()) {
                break;
            }
        }
        return total;
    }

    private static boolean hasRemaining(ByteBuffer one, ByteBuffer[] many, int offset, int length) {
        if (one != null) {
            return one.hasRemaining();
        }
        for (int i = offset; i < offset + length; i++) {
            if (many[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    private static long remaining(ByteBuffer one, ByteBuffer[] many, int offset, int length) {
        if (one != null) {
            return one.remaining();
        }
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += many[i].remaining();
        }
        return total;
    }

    /** Bytes readable now without blocking (the adaptor's {@code available()}). */
    int available() throws IOException {
        ensureOpen();
        OverlayStream s = stream;
        return s == null || inputShut ? 0 : s.available();
    }

    /**
     * Waits on the state condition (stateLock held). False when interrupted, with the interrupt
     * status set again; {@link #end} turns that into {@link java.nio.channels.ClosedByInterruptException}.
     *
     * @throws SocketTimeoutException when {@code deadline} (0: none) has passed
     */
    private boolean await(long deadline, String what) throws SocketTimeoutException {
        try {
            if (deadline == 0) {
                changed.await();
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException(what + " timed out");
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

    // ------------------------------------------------------------------ writing

    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src);
        SocketChannel p = platform;
        if (p != null) {
            try {
                return p.write(src);
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
        }
        return (int) overlayWrite(src, null, 0, 0);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        SocketChannel p = platform;
        if (p != null) {
            try {
                return p.write(srcs, offset, length);
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
        }
        return overlayWrite(null, srcs, offset, length);
    }

    /** A blocking write of everything in {@code src}, for the socket adaptor's output stream. */
    void adaptorWrite(ByteBuffer src) throws IOException {
        if (!isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        overlayWrite(src, null, 0, 0);
    }

    private long overlayWrite(ByteBuffer one, ByteBuffer[] many, int offset, int length) throws IOException {
        writeLock.lock();
        try {
            boolean blocking = isBlocking();
            if (!blocking) {
                ensureOpen();
                if (state != CONNECTED) {
                    throw new NotYetConnectedException();
                }
                if (outputShut) {
                    throw new ClosedChannelException();
                }
                return writeNow(one, many, offset, length);
            }
            long total = remaining(one, many, offset, length);
            long n = 0;
            try {
                begin();
                ensureOpen();
                if (state != CONNECTED) {
                    throw new NotYetConnectedException();
                }
                if (outputShut) {
                    throw new ClosedChannelException();
                }
                stateLock.lock();
                waiters++;
                try {
                    while (isOpen() && !outputShut) {
                        n += writeNow(one, many, offset, length);
                        if (n >= total) {
                            break;
                        }
                        if (!await(0, "Write")) {
                            break;
                        }
                    }
                } finally {
                    waiters--;
                    stateLock.unlock();
                }
            } finally {
                // A blocking write that a close cut short throws, even after taking some bytes (the
                // JDK may return the partial count instead; both are within the contract).
                end(n >= total);
            }
            if (n == 0 && total > 0 && outputShut) {
                throw new AsynchronousCloseException(); // output shut down by another thread meanwhile
            }
            return n;
        } finally {
            writeLock.unlock();
        }
    }

    private long writeNow(ByteBuffer one, ByteBuffer[] many, int offset, int length) throws IOException {
        OverlayStream s = stream;
        if (one != null) {
            return one.hasRemaining() ? s.write(one) : 0;
        }
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = many[i];
            if (!b.hasRemaining()) {
                continue;
            }
            int w = s.write(b);
            total += w;
            if (b.hasRemaining()) {
                break;
            }
        }
        return total;
    }

    // ------------------------------------------------------------------ half-close

    @Override
    public SocketChannel shutdownInput() throws IOException {
        SocketChannel p = platform;
        if (p != null) {
            try {
                p.shutdownInput();
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
            return this;
        }
        stateLock.lock();
        try {
            ensureOpen();
            if (state != CONNECTED) {
                throw new NotYetConnectedException();
            }
            if (!inputShut) {
                inputShut = true;
                stream.shutdownInput();
                changed.signalAll();
            }
        } finally {
            stateLock.unlock();
        }
        keys.signal(); // end of stream is readable
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException {
        SocketChannel p = platform;
        if (p != null) {
            try {
                p.shutdownOutput();
            } catch (IOException | RuntimeException e) {
                syncClosed(p);
                throw e;
            }
            return this;
        }
        stateLock.lock();
        try {
            ensureOpen();
            if (state != CONNECTED) {
                throw new NotYetConnectedException();
            }
            if (!outputShut) {
                outputShut = true;
                stream.shutdownOutput();
                changed.signalAll();
            }
        } finally {
            stateLock.unlock();
        }
        keys.signal();
        return this;
    }

    // ------------------------------------------------------------------ close, blocking mode

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        SocketChannel p;
        OverlayStream s;
        CompletableFuture<Void> timer;
        stateLock.lock();
        try {
            p = platform;
            s = stream;
            timer = connectTimer;
            changed.signalAll(); // blocked readers, writers and connects see the channel closed
        } finally {
            stateLock.unlock();
        }
        try {
            if (p != null) {
                p.close();
            }
            if (s != null) {
                OverlayOptions o = options;
                if (o != null && o.abortiveClose()) {
                    s.reset(StreamError.NO_ERROR);
                } else {
                    s.close();
                }
                s.setReadinessListener(null);
            }
            if (timer != null) {
                timer.complete(null);
            }
        } finally {
            keys.cancelAndWake();
        }
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        readLock.lock();
        try {
            writeLock.lock();
            try {
                SocketChannel p = platform;
                if (p != null) {
                    if (block) {
                        keys.beforeBlocking();
                    }
                    p.configureBlocking(block);
                }
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public String toString() {
        SocketChannel p = platform;
        if (p != null) {
            return getClass().getSimpleName() + "[kernel " + p + "]";
        }
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append("[overlay");
        if (!isOpen()) {
            sb.append(" closed");
        } else {
            sb.append(state == CONNECTED ? " connected" : state == CONNECTING ? " connection-pending" : " unconnected");
            sb.append(" local=").append(localAddress).append(" remote=").append(remoteAddress);
        }
        return sb.append(']').toString();
    }

    // ------------------------------------------------------------------ selection

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
            if (platform != null || !isOpen()) {
                return 0;
            }
            int st = state;
            if (st == CONNECTING) {
                return (interest & SelectionKey.OP_CONNECT) != 0 && connectDone() ? SelectionKey.OP_CONNECT : 0;
            }
            if (st != CONNECTED) {
                return 0;
            }
            OverlayStream s = stream;
            int ops = 0;
            if ((interest & SelectionKey.OP_READ) != 0 && readReady(s)) {
                ops |= SelectionKey.OP_READ;
            }
            if ((interest & SelectionKey.OP_WRITE) != 0 && writeReady(s)) {
                ops |= SelectionKey.OP_WRITE;
            }
            return ops;
        }

        /** A read would not return 0: data, end of stream, or a failure to report. */
        private boolean readReady(OverlayStream s) {
            if (inputShut || s.available() > 0) {
                return true;
            }
            try {
                return s.read(EMPTY.duplicate()) < 0;
            } catch (IOException e) {
                return true;
            }
        }

        /** A write would not return 0: room in the send buffer, or a failure to report. */
        private boolean writeReady(OverlayStream s) {
            if (outputShut || s.writable() > 0) {
                return true;
            }
            try {
                s.write(EMPTY.duplicate());
                return false;
            } catch (IOException e) {
                return true;
            }
        }
    }
}
