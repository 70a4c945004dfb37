package dev.overlay.nio;

import dev.overlay.identity.NodeId;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamError;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketOptions;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A {@link SocketImpl} that is an overlay stream when its target is an overlay address (an IPv6
 * handle in {@code fd6f::/16}, or an unresolved {@code <base32>.overlay} name or configured alias)
 * and a kernel TCP socket otherwise. Until {@code connect} it only remembers what it was told
 * (options, a bind); the target decides which it becomes.
 *
 * <p>Over the overlay it behaves as a connected TCP socket does:
 * <ul>
 *   <li>{@code connect} waits at most its timeout (zero: {@link #DEFAULT_CONNECT_TIMEOUT}) and
 *       throws {@link SocketTimeoutException} "Connect timed out", or a {@link ConnectException}
 *       when the peer refuses (no listener, or its allow-list does not admit this node);
 *   <li>reads honour {@code SO_TIMEOUT} ({@link SocketTimeoutException} "Read timed out", the
 *       socket stays usable), return -1 once the peer shut its output down or closed, and
 *       {@code available()} counts buffered bytes;
 *   <li>{@code shutdownOutput} sends end-of-stream after everything written (half-close); writes
 *       after it fail with {@link SocketException} "Socket output is shutdown";
 *       {@code shutdownInput} makes reads return -1;
 *   <li>{@code close} from another thread makes blocked reads, writes and connects throw
 *       {@link SocketException} "Socket closed"; an interrupt of a blocked thread closes the socket
 *       and throws {@link SocketException} "Closed by interrupt" with the interrupt status set (the
 *       JDK's behaviour for virtual threads);
 *   <li>{@code TCP_NODELAY}, {@code SO_KEEPALIVE}, {@code SO_REUSEADDR}, {@code SO_OOBINLINE},
 *       {@code IP_TOS}, {@code SO_SNDBUF} and {@code SO_RCVBUF} are accepted, remembered and
 *       returned (the stream layer paces and buffers by itself); {@code SO_LINGER} with 0 resets
 *       the stream on close, with a positive value {@code close} waits that long for the peer to
 *       acknowledge what was written; {@code SO_TIMEOUT} is real;
 *   <li>the remote address is the peer's handle and the port the one connected to; the local
 *       address is this node's handle.
 * </ul>
 * Everything else about a kernel connection is the kernel socket's: every call goes to it.
 */
public class OverlaySocketImpl extends SocketImpl {
    /** How long a connect with no timeout waits: about what Linux gives a TCP SYN. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(127);
    private static final int DEFAULT_BUFFER = 64 * 1024;
    private static final int EPHEMERAL_LOW = 49152;
    private static final int EPHEMERAL_COUNT = 65536 - EPHEMERAL_LOW;
    private static final AtomicInteger EPHEMERAL = new AtomicInteger(ThreadLocalRandom.current().nextInt(EPHEMERAL_COUNT));
    private static final Set<SocketOption<?>> OVERLAY_OPTIONS = Set.of(StandardSocketOptions.TCP_NODELAY,
            StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_LINGER, StandardSocketOptions.SO_SNDBUF,
            StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.IP_TOS);

    private final Supplier<OverlayBackend> backends;
    private final KernelSockets kernels;
    private final boolean direct;
    private final ReentrantLock lock = new ReentrantLock();

    // ---- guarded by lock
    private boolean closed;
    private boolean connectStarted;
    /** The kernel socket: after a connect to a kernel target or an accept on a kernel port, or a bind before connect. */
    private Socket kernel;
    /** The overlay stream once connected or accepted. */
    private OverlayStream stream;
    private OverlayBackend backend;
    private NodeId peer;
    /** Completed by close() to wake a connect that waits for the overlay. */
    private CompletableFuture<Void> aborted;
    /** Options set before the socket knew what it is, replayed on the kernel socket. */
    private final List<KernelOption> pending = new ArrayList<>();
    private InetSocketAddress bindRequest;
    /**
     * Before connect: an unconnected platform socket that reports, validates and answers options as the
     * JDK does; it becomes the kernel socket of a kernel connect and is closed by an overlay connect.
     */
    private Socket probe;

    // ---- options as this side remembers them (overlay and not yet connected)
    private volatile int timeoutMillis;
    private volatile boolean tcpNoDelay;
    private volatile boolean keepAlive;
    private volatile boolean reuseAddress;
    private volatile boolean oobInline;
    private volatile int lingerSeconds = -1;
    private volatile int sendBuffer = DEFAULT_BUFFER;
    private volatile int receiveBuffer = DEFAULT_BUFFER;
    private volatile int trafficClass;
    private volatile boolean inputShut;
    private volatile boolean outputShut;

    private final InputStream in = new OverlayIn();
    private final OutputStream out = new OverlayOut();

    /** An option as the kernel socket is told it. */
    private interface KernelOption {
        void apply(Socket s) throws IOException;
    }

    /** Overlay targets go to {@code backend}; others to a kernel socket made with {@code new Socket()}. */
    public OverlaySocketImpl(OverlayBackend backend) {
        this(constant(backend), KernelSockets.PLAIN, false);
    }

    /**
     * Overlay targets go to the backend {@code backends} gives when first needed (asked only for
     * overlay addresses and unresolved names); others to a kernel socket made with {@code new Socket()}.
     */
    public OverlaySocketImpl(Supplier<OverlayBackend> backends) {
        this(backends, KernelSockets.PLAIN, false);
    }

    OverlaySocketImpl(Supplier<OverlayBackend> backends, KernelSockets kernels, boolean direct) {
        this.backends = Objects.requireNonNull(backends, "backends");
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        this.direct = direct;
    }

    static Supplier<OverlayBackend> constant(OverlayBackend backend) {
        Objects.requireNonNull(backend, "backend");
        return () -> backend;
    }

    // ------------------------------------------------------------------ what it is

    /** The peer's key when this is an overlay connection, else null. */
    public NodeId peerKey() {
        lock.lock();
        try {
            return peer;
        } finally {
            lock.unlock();
        }
    }

    /** True once connected or accepted over the overlay. */
    public boolean isOverlay() {
        return peerKey() != null;
    }

    private Socket kernel() {
        lock.lock();
        try {
            return kernel;
        } finally {
            lock.unlock();
        }
    }

    private OverlayStream connectedStream() throws SocketException {
        lock.lock();
        try {
            if (closed) {
                throw new SocketException("Socket closed");
            }
            if (stream == null || peer == null) {
                throw new SocketException("Not connected");
            }
            return stream;
        } finally {
            lock.unlock();
        }
    }

    private boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ create, bind, connect

    @Override
    protected void create(boolean streamSocket) throws IOException {
        if (!streamSocket) {
            throw new SocketException("overlay sockets are stream sockets; datagram sockets are not supported");
        }
    }

    @Override
    protected void bind(InetAddress host, int port) throws IOException {
        lock.lock();
        try {
            ensureOpenLocked();
            if (kernel != null || bindRequest != null) {
                throw new SocketException("Already bound");
            }
            if (host != null && NodeId.isHandle(host)) {
                // Bound to an overlay handle: only an overlay connect can follow.
                bindRequest = new InetSocketAddress(host, port);
                localport = port;
                return;
            }
            Socket k = newKernelLocked();
            try {
                k.bind(new InetSocketAddress(host, port));
            } catch (IOException | RuntimeException e) {
                kernel = null;
                closeQuietly(k);
                throw e;
            }
            bindRequest = new InetSocketAddress(host, port);
        } finally {
            lock.unlock();
        }
    }

    /** A kernel socket with the options set so far; kept in {@link #kernel}. */
    private Socket newKernelLocked() throws IOException {
        Socket k = probe != null ? probe : kernels.newSocket(direct);
        probe = null;
        try {
            for (KernelOption o : pending) {
                o.apply(k);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(k);
            throw e;
        }
        kernel = k;
        return k;
    }

    @Override
    protected void connect(String host, int port) throws IOException {
        connect(new InetSocketAddress(host, port), 0);
    }

    @Override
    protected void connect(InetAddress address, int port) throws IOException {
        connect(new InetSocketAddress(address, port), 0);
    }

    @Override
    protected void connect(SocketAddress address, int timeout) throws IOException {
        if (!(address instanceof InetSocketAddress target)) {
            throw new IllegalArgumentException("Unsupported address type");
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("connect: timeout can't be negative");
        }
        OverlayBackend b = overlayBackendFor(target);
        if (b == null) {
            connectKernel(target, timeout);
        } else {
            connectOverlay(b, target, timeout);
        }
    }

    /**
     * The backend when {@code target} is on the overlay, else null. Only a handle ({@code fd6f::/16})
     * or an unresolved {@code .overlay} name asks the backend: any other address or name never
     * does, so kernel connections (and failing DNS names) work without a runtime.
     */
    private OverlayBackend overlayBackendFor(InetSocketAddress target) throws IOException {
        boolean handle = !target.isUnresolved() && NodeId.isHandle(target.getAddress());
        boolean named = target.isUnresolved() && NodeId.isOverlayName(target.getHostString());
        if (!handle && !named && !OverlayRuntime.isLoopbackToServed(target, Backends::ownedByAny)) {
            // A kernel address or an unresolved ordinary name (the kernel socket reports it as the
            // JDK does): never put to the backend, so it never starts the runtime.
            return null;
        }
        OverlayBackend b;
        try {
            b = backends.get();
        } catch (RuntimeException e) {
            ConnectException c = new ConnectException("cannot connect to " + describe(target)
                    + ": no overlay backend (" + e.getMessage() + ")");
            c.initCause(e);
            throw c;
        }
        return b.isOverlay(target) ? b : null;
    }

    private void connectKernel(InetSocketAddress target, int timeout) throws IOException {
        Socket k;
        lock.lock();
        try {
            ensureOpenLocked();
            startConnectLocked();
            if (bindRequest != null && kernel == null) {
                throw new BindException("bound to overlay handle " + bindRequest.getAddress().getHostAddress()
                        + " but connecting to kernel address " + describe(target));
            }
            k = kernel != null ? kernel : newKernelLocked();
        } finally {
            lock.unlock();
        }
        k.connect(target, timeout);
        localport = k.getLocalPort();
        port = k.getPort();
        address = k.getInetAddress();
    }

    private void connectOverlay(OverlayBackend b, InetSocketAddress target, int timeout) throws IOException {
        Duration limit = timeout == 0 ? DEFAULT_CONNECT_TIMEOUT : Duration.ofMillis(timeout);
        long deadline = System.nanoTime() + limit.toNanos();
        CompletableFuture<Void> abort = new CompletableFuture<>();
        Socket boundKernel;
        Socket unusedProbe;
        lock.lock();
        try {
            ensureOpenLocked();
            startConnectLocked();
            aborted = abort;
            boundKernel = kernel;
            kernel = null; // bound to a kernel address before: the overlay needs no kernel socket
            unusedProbe = probe;
            probe = null;
        } finally {
            lock.unlock();
        }
        closeQuietly(boundKernel);
        closeQuietly(unusedProbe);
        CompletableFuture<OverlayStream> opening = b.open(target, limit);
        OverlayStream s;
        try {
            awaitEither(opening, abort, deadline);
            if (abort.isDone()) {
                throw new SocketException("Socket closed");
            }
            s = opening.join();
        } catch (TimeoutException e) {
            abandon(opening);
            throw new SocketTimeoutException("Connect timed out");
        } catch (ExecutionException | java.util.concurrent.CompletionException e) {
            abandon(opening);
            if (isClosed()) {
                throw new SocketException("Socket closed");
            }
            throw connectFailure(e.getCause(), target);
        } catch (CancellationException e) {
            abandon(opening);
            throw new SocketException("Socket closed");
        } catch (InterruptedException e) {
            abandon(opening);
            closeQuietly();
            Thread.currentThread().interrupt();
            throw new SocketException("Closed by interrupt");
        } catch (SocketException e) {
            abandon(opening);
            throw e;
        }
        lock.lock();
        try {
            if (closed) {
                s.reset(StreamError.NO_ERROR);
                throw new SocketException("Socket closed");
            }
            s.setPlatformUninterruptible(true);
            stream = s; // close() from now on resets it, which wakes awaitOpen
        } finally {
            lock.unlock();
        }
        try {
            s.awaitOpen(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        } catch (SocketTimeoutException e) {
            s.reset(StreamError.NO_ERROR);
            throw new SocketTimeoutException("Connect timed out");
        } catch (InterruptedIOException e) {
            closeQuietly();
            throw new SocketException("Closed by interrupt");
        } catch (IOException e) {
            if (isClosed()) {
                throw new SocketException("Socket closed");
            }
            throw e;
        }
        s.setReadTimeout(Duration.ofMillis(timeoutMillis));
        lock.lock();
        try {
            if (closed) {
                throw new SocketException("Socket closed");
            }
            backend = b;
            peer = s.peer();
            aborted = null;
            // A same-JVM loopback connection to a served port reports the loopback address it was given.
            address = !target.isUnresolved() && target.getAddress().isLoopbackAddress() ? target.getAddress()
                    : b.handleOf(peer);
            port = target.getPort();
            localport = bindRequest != null && bindRequest.getPort() != 0 ? bindRequest.getPort() : ephemeralPort();
        } finally {
            lock.unlock();
        }
    }

    /** A stream that arrives after its connect gave up is reset at once. */
    /**
     * Waits for either future; a platform thread ignores interrupts (keeping the status) as the JDK's
     * sockets do, a virtual thread gets the InterruptedException (the socket is then closed).
     */
    private static void awaitEither(CompletableFuture<?> a, CompletableFuture<?> b, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        CompletableFuture<Object> either = CompletableFuture.anyOf(a, b);
        if (OverlayStream.isVirtualThread()) {
            either.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return;
        }
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    either.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
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

    private static void abandon(CompletableFuture<OverlayStream> opening) {
        opening.thenAccept(s -> s.reset(StreamError.NO_ERROR));
    }

    private static IOException connectFailure(Throwable cause, InetSocketAddress target) {
        if (cause instanceof UnknownHostException u) {
            UnknownHostException e = new UnknownHostException(u.getMessage());
            e.initCause(u);
            return e;
        }
        if (cause instanceof ConnectException c) {
            return rethrown(c);
        }
        if (cause instanceof SocketTimeoutException) {
            return new SocketTimeoutException("Connect timed out");
        }
        ConnectException e = new ConnectException("cannot connect to " + describe(target) + ": "
                + (cause == null ? "unknown failure" : cause.getMessage()));
        e.initCause(cause);
        return e;
    }

    private static ConnectException rethrown(ConnectException c) {
        ConnectException e = new ConnectException(c.getMessage());
        e.initCause(c);
        return e;
    }

    private void startConnectLocked() throws SocketException {
        if (connectStarted) {
            throw new SocketException(stream != null || kernel != null && kernel.isConnected()
                    ? "Already connected" : "Connection in progress");
        }
        connectStarted = true;
    }

    private void ensureOpenLocked() throws SocketException {
        if (closed) {
            throw new SocketException("Socket closed");
        }
    }

    static String describe(InetSocketAddress a) {
        String host = a.isUnresolved() ? a.getHostString() : a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    static int ephemeralPort() {
        return EPHEMERAL_LOW + Math.floorMod(EPHEMERAL.getAndIncrement(), EPHEMERAL_COUNT);
    }

    // ------------------------------------------------------------------ accept side

    /** Becomes the accepted overlay stream {@code s} on local overlay port {@code localPort}. */
    void acceptedOverlay(OverlayBackend b, OverlayStream s, int localPort) throws IOException {
        lock.lock();
        try {
            if (closed) {
                s.reset(StreamError.NO_ERROR);
                throw new SocketException("Socket closed");
            }
            backend = b;
            s.setPlatformUninterruptible(true);
            stream = s;
            peer = s.peer();
            connectStarted = true;
            address = b.handleOf(peer);
            port = ephemeralPort();
            localport = localPort;
            fd = null;
        } finally {
            lock.unlock();
        }
        s.setReadTimeout(Duration.ofMillis(timeoutMillis));
    }

    /** Becomes the accepted kernel socket {@code k}, with the options set on this so far. */
    void acceptedKernel(Socket k) throws IOException {
        lock.lock();
        try {
            if (closed) {
                closeQuietly(k);
                throw new SocketException("Socket closed");
            }
            for (KernelOption o : pending) {
                o.apply(k);
            }
            kernel = k;
            connectStarted = true;
            address = k.getInetAddress();
            port = k.getPort();
            localport = k.getLocalPort();
            fd = null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void listen(int backlog) throws IOException {
        throw new SocketException("a client socket cannot listen");
    }

    @Override
    protected void accept(SocketImpl s) throws IOException {
        throw new SocketException("a client socket cannot accept");
    }

    // ------------------------------------------------------------------ streams

    @Override
    protected InputStream getInputStream() throws IOException {
        Socket k = kernel();
        if (k != null) {
            return k.getInputStream();
        }
        connectedStream();
        return in;
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        Socket k = kernel();
        if (k != null) {
            return k.getOutputStream();
        }
        connectedStream();
        return out;
    }

    @Override
    protected int available() throws IOException {
        Socket k = kernel();
        if (k != null) {
            return k.getInputStream().available();
        }
        OverlayStream s = connectedStream();
        return inputShut ? 0 : s.available();
    }

    private final class OverlayIn extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            OverlayStream s = connectedStream();
            if (inputShut) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            try {
                int n = s.getInputStream().read(b, off, len);
                if (n < 0 && isClosed()) {
                    throw new SocketException("Socket closed");
                }
                return n;
            } catch (SocketTimeoutException e) {
                if (isClosed()) {
                    throw new SocketException("Socket closed");
                }
                throw new SocketTimeoutException("Read timed out");
            } catch (InterruptedIOException e) {
                closeQuietly();
                Thread.currentThread().interrupt();
                throw new SocketException("Closed by interrupt");
            } catch (IOException e) {
                if (isClosed()) {
                    throw new SocketException("Socket closed");
                }
                throw e;
            }
        }

        @Override
        public int available() throws IOException {
            return OverlaySocketImpl.this.available();
        }

        @Override
        public void close() throws IOException {
            OverlaySocketImpl.this.close();
        }
    }

    private final class OverlayOut extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            OverlayStream s = connectedStream();
            if (outputShut) {
                throw new SocketException("Socket output is shutdown");
            }
            if (len == 0) {
                return;
            }
            try {
                s.getOutputStream().write(b, off, len);
            } catch (InterruptedIOException e) {
                closeQuietly();
                Thread.currentThread().interrupt();
                throw new SocketException("Closed by interrupt");
            } catch (IOException e) {
                if (isClosed()) {
                    throw new SocketException("Socket closed");
                }
                if (outputShut) {
                    throw new SocketException("Socket output is shutdown");
                }
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            OverlaySocketImpl.this.close();
        }
    }

    @Override
    protected void shutdownInput() throws IOException {
        Socket k = kernel();
        if (k != null) {
            k.shutdownInput();
            return;
        }
        OverlayStream s = connectedStream();
        inputShut = true;
        s.shutdownInput();
    }

    @Override
    protected void shutdownOutput() throws IOException {
        Socket k = kernel();
        if (k != null) {
            k.shutdownOutput();
            return;
        }
        OverlayStream s = connectedStream();
        outputShut = true;
        s.shutdownOutput();
    }

    @Override
    protected void close() throws IOException {
        Socket k;
        OverlayStream s;
        CompletableFuture<Void> abort;
        Socket unusedProbe;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            k = kernel;
            s = stream;
            abort = aborted;
            unusedProbe = probe;
            probe = null;
        } finally {
            lock.unlock();
        }
        closeQuietly(unusedProbe);
        if (abort != null) {
            abort.complete(null);
        }
        if (k != null) {
            k.close();
        }
        if (s != null) {
            int linger = lingerSeconds;
            if (linger == 0 || !s.isOpen()) {
                s.reset(StreamError.NO_ERROR);
            } else {
                s.close();
                if (linger > 0) {
                    try {
                        s.awaitDelivered(Duration.ofSeconds(linger));
                    } catch (IOException e) {
                        // as with TCP: what was not delivered within the linger time is abandoned
                    }
                }
            }
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            // closing for an interrupt: the interrupt is what the caller hears about
        }
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing was connected yet
            }
        }
    }

    // ------------------------------------------------------------------ addresses

    @Override
    protected InetAddress getInetAddress() {
        Socket k = kernel();
        return k != null && k.isConnected() ? k.getInetAddress() : address;
    }

    @Override
    protected int getPort() {
        Socket k = kernel();
        return k != null && k.isConnected() ? k.getPort() : port;
    }

    @Override
    protected int getLocalPort() {
        Socket k = kernel();
        return k != null ? k.getLocalPort() : localport;
    }

    @Override
    protected FileDescriptor getFileDescriptor() {
        return null;
    }

    /** This node's handle for an overlay connection. */
    private InetAddress localOverlayAddress() {
        lock.lock();
        try {
            if (backend != null) {
                return backend.localHandle();
            }
            return bindRequest != null ? bindRequest.getAddress() : null;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ urgent data, preferences

    @Override
    protected boolean supportsUrgentData() {
        return kernel() != null;
    }

    @Override
    protected void sendUrgentData(int data) throws IOException {
        Socket k = kernel();
        if (k != null) {
            k.sendUrgentData(data);
            return;
        }
        throw new SocketException("Urgent data not supported on overlay sockets");
    }

    @Override
    protected void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        Socket k = kernel();
        if (k != null) {
            k.setPerformancePreferences(connectionTime, latency, bandwidth);
        }
    }

    // ------------------------------------------------------------------ options (old int API)

    @Override
    public void setOption(int optID, Object value) throws SocketException {
        Socket k;
        lock.lock();
        try {
            ensureOpenLocked();
            k = kernel;
            if (k == null) {
                remember(optID, value);
                if (stream == null) {
                    pending.add(kernelOption(optID, value));
                }
            }
        } finally {
            lock.unlock();
        }
        if (k != null) {
            kernelOption(optID, value).applyUnchecked(k);
        }
    }

    private void remember(int optID, Object value) throws SocketException {
        switch (optID) {
            case SocketOptions.SO_TIMEOUT -> {
                int t = intValue(value, "SO_TIMEOUT");
                if (t < 0) {
                    throw new IllegalArgumentException("timeout < 0");
                }
                timeoutMillis = t;
                if (stream != null) {
                    stream.setReadTimeout(Duration.ofMillis(t));
                }
            }
            case SocketOptions.TCP_NODELAY -> tcpNoDelay = booleanValue(value, "TCP_NODELAY");
            case SocketOptions.SO_KEEPALIVE -> keepAlive = booleanValue(value, "SO_KEEPALIVE");
            case SocketOptions.SO_REUSEADDR -> reuseAddress = booleanValue(value, "SO_REUSEADDR");
            case SocketOptions.SO_OOBINLINE -> oobInline = booleanValue(value, "SO_OOBINLINE");
            case SocketOptions.SO_LINGER -> {
                if (value instanceof Boolean on) {
                    if (on) {
                        throw new SocketException("Bad value for SO_LINGER");
                    }
                    lingerSeconds = -1;
                } else {
                    lingerSeconds = Math.min(intValue(value, "SO_LINGER"), 65535);
                }
            }
            case SocketOptions.SO_SNDBUF -> sendBuffer = positive(value, "SO_SNDBUF");
            case SocketOptions.SO_RCVBUF -> receiveBuffer = positive(value, "SO_RCVBUF");
            case SocketOptions.IP_TOS -> trafficClass = intValue(value, "IP_TOS") & 0xff;
            default -> throw new SocketException("Unknown option " + optID);
        }
    }

    private interface CheckedKernelOption extends KernelOption {
        default void applyUnchecked(Socket s) throws SocketException {
            try {
                apply(s);
            } catch (SocketException e) {
                throw e;
            } catch (IOException e) {
                throw new SocketException(e.getMessage());
            }
        }
    }

    private static CheckedKernelOption kernelOption(int optID, Object value) throws SocketException {
        return switch (optID) {
            case SocketOptions.SO_TIMEOUT -> s -> s.setSoTimeout((Integer) value);
            case SocketOptions.TCP_NODELAY -> s -> s.setTcpNoDelay((Boolean) value);
            case SocketOptions.SO_KEEPALIVE -> s -> s.setKeepAlive((Boolean) value);
            case SocketOptions.SO_REUSEADDR -> s -> s.setReuseAddress((Boolean) value);
            case SocketOptions.SO_OOBINLINE -> s -> s.setOOBInline((Boolean) value);
            case SocketOptions.SO_LINGER -> value instanceof Boolean ? s -> s.setSoLinger(false, 0)
                    : s -> s.setSoLinger(true, (Integer) value);
            case SocketOptions.SO_SNDBUF -> s -> s.setSendBufferSize((Integer) value);
            case SocketOptions.SO_RCVBUF -> s -> s.setReceiveBufferSize((Integer) value);
            case SocketOptions.IP_TOS -> s -> s.setTrafficClass((Integer) value);
            default -> throw new SocketException("Unknown option " + optID);
        };
    }

    @Override
    public Object getOption(int optID) throws SocketException {
        Socket k;
        lock.lock();
        try {
            ensureOpenLocked();
            k = kernel;
        } finally {
            lock.unlock();
        }
        if (k != null) {
            return kernelGet(k, optID);
        }
        return switch (optID) {
            case SocketOptions.SO_TIMEOUT -> timeoutMillis;
            case SocketOptions.TCP_NODELAY -> tcpNoDelay;
            case SocketOptions.SO_KEEPALIVE -> keepAlive;
            case SocketOptions.SO_REUSEADDR -> reuseAddress;
            case SocketOptions.SO_OOBINLINE -> oobInline;
            case SocketOptions.SO_LINGER -> lingerSeconds < 0 ? Boolean.FALSE : (Object) lingerSeconds;
            case SocketOptions.SO_SNDBUF -> sendBuffer;
            case SocketOptions.SO_RCVBUF -> receiveBuffer;
            case SocketOptions.IP_TOS -> trafficClass;
            case SocketOptions.SO_BINDADDR -> {
                InetAddress a = localOverlayAddress();
                yield a != null ? a : anyLocal();
            }
            default -> throw new SocketException("Unknown option " + optID);
        };
    }

    private static Object kernelGet(Socket k, int optID) throws SocketException {
        return switch (optID) {
            case SocketOptions.SO_TIMEOUT -> k.getSoTimeout();
            case SocketOptions.TCP_NODELAY -> k.getTcpNoDelay();
            case SocketOptions.SO_KEEPALIVE -> k.getKeepAlive();
            case SocketOptions.SO_REUSEADDR -> k.getReuseAddress();
            case SocketOptions.SO_OOBINLINE -> k.getOOBInline();
            case SocketOptions.SO_LINGER -> {
                int l = k.getSoLinger();
                yield l < 0 ? Boolean.FALSE : (Object) l;
            }
            case SocketOptions.SO_SNDBUF -> k.getSendBufferSize();
            case SocketOptions.SO_RCVBUF -> k.getReceiveBufferSize();
            case SocketOptions.IP_TOS -> k.getTrafficClass();
            case SocketOptions.SO_BINDADDR -> k.getLocalAddress();
            default -> throw new SocketException("Unknown option " + optID);
        };
    }

    private static InetAddress anyLocal() {
        return new InetSocketAddress(0).getAddress();
    }

    private static int intValue(Object value, String name) throws SocketException {
        if (value instanceof Integer i) {
            return i;
        }
        throw new SocketException("Bad value for " + name);
    }

    private static int positive(Object value, String name) throws SocketException {
        int v = intValue(value, name);
        if (v <= 0) {
            throw new SocketException(name + " <= 0");
        }
        return v;
    }

    private static boolean booleanValue(Object value, String name) throws SocketException {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new SocketException("Bad value for " + name);
    }

    // ------------------------------------------------------------------ options (SocketOption API)

    @Override
    protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name);
        Socket k = kernel();
        if (k != null) {
            k.setOption(name, value);
            return;
        }
        Socket p = probe();
        if (p != null) {
            p.setOption(name, value); // validates as the JDK does: IllegalArgumentException, UnsupportedOperationException
        }
        int id = idOf(name);
        if (id < 0) {
            lock.lock();
            try {
                ensureOpenLocked();
                if (stream != null) {
                    throw new UnsupportedOperationException("'" + name + "' not supported on overlay sockets");
                }
                pending.add(s -> s.setOption(name, value)); // for the kernel socket it may become
            } finally {
                lock.unlock();
            }
            return;
        }
        if (!name.type().isInstance(value)) {
            throw new IllegalArgumentException("Invalid value '" + value + "'");
        }
        Object v = value;
        if (name == StandardSocketOptions.SO_LINGER && (Integer) value < 0) {
            v = Boolean.FALSE;
        }
        setOption(id, v);
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name);
        Socket k = kernel();
        if (k != null) {
            return k.getOption(name);
        }
        int id = idOf(name);
        if (id < 0) {
            Socket p = probe();
            if (p != null) {
                return p.getOption(name);
            }
            throw new UnsupportedOperationException("'" + name + "' not supported on overlay sockets");
        }
        Object v = getOption(id);
        if (name == StandardSocketOptions.SO_LINGER && v instanceof Boolean) {
            v = -1;
        }
        return (T) v;
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        Socket k = kernel();
        if (k != null) {
            return k.supportedOptions();
        }
        try {
            Socket p = probe();
            if (p != null) {
                return p.supportedOptions();
            }
        } catch (IOException e) {
            // no platform socket to ask: the overlay's own options
        }
        return OVERLAY_OPTIONS;
    }

    /**
     * The platform socket standing in for this one before connect (created on first use), or null once
     * connected, connecting or closed; there the kernel socket or the overlay stream answers.
     */
    private Socket probe() throws IOException {
        lock.lock();
        try {
            if (closed || connectStarted || stream != null || kernel != null) {
                return null;
            }
            if (probe == null) {
                probe = kernels.newSocket(direct);
            }
            return probe;
        } finally {
            lock.unlock();
        }
    }

    private static int idOf(SocketOption<?> name) {
        if (name == StandardSocketOptions.TCP_NODELAY) {
            return SocketOptions.TCP_NODELAY;
        } else if (name == StandardSocketOptions.SO_KEEPALIVE) {
            return SocketOptions.SO_KEEPALIVE;
        } else if (name == StandardSocketOptions.SO_LINGER) {
            return SocketOptions.SO_LINGER;
        } else if (name == StandardSocketOptions.SO_SNDBUF) {
            return SocketOptions.SO_SNDBUF;
        } else if (name == StandardSocketOptions.SO_RCVBUF) {
            return SocketOptions.SO_RCVBUF;
        } else if (name == StandardSocketOptions.SO_REUSEADDR) {
            return SocketOptions.SO_REUSEADDR;
        } else if (name == StandardSocketOptions.IP_TOS) {
            return SocketOptions.IP_TOS;
        }
        return -1;
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            if (kernel != null) {
                return "OverlaySocketImpl[kernel " + kernel + "]";
            }
            if (stream != null && peer != null) {
                return "OverlaySocketImpl[overlay " + peer.shortName() + " port " + port + "]";
            }
            return "OverlaySocketImpl[" + (closed ? "closed" : "unconnected") + "]";
        } finally {
            lock.unlock();
        }
    }
}
