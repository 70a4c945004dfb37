package dev.overlay.nio;

import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamError;
import dev.overlay.stream.StreamListener;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketOptions;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The {@link SocketImpl} of a {@link java.net.ServerSocket} that, bound to a port the backend
 * serves on the overlay ({@link OverlayBackend#listener(int)} is not null), accepts overlay streams
 * only and opens no kernel port at all, whatever address it was bound to; bound to any other port
 * (or port 0) it is a kernel listening socket and every call goes to that.
 *
 * <p>Accepted connections go into an {@link OverlaySocketImpl}: {@link OverlayServerSocket#accept()}
 * makes one, and so does the global hook's factory for a plain {@code ServerSocket.accept()}.
 * {@code SO_TIMEOUT} bounds {@code accept} ({@link SocketTimeoutException} "Accept timed out"),
 * {@code close} from another thread wakes a blocked accept with {@link SocketException}
 * "Socket closed". One server at a time owns a served port, server socket or
 * {@link java.nio.channels.ServerSocketChannel} of the same backend alike (a second bind fails with
 * {@link java.net.BindException} "port P is already bound on the overlay"); closing the owner
 * closes the port's listener, so connections to the port are refused until the next bind, which
 * gets a new listener from the backend.
 */
public class OverlayServerSocketImpl extends SocketImpl {
    private static final Set<SocketOption<?>> OVERLAY_OPTIONS =
            Set.of(StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_REUSEADDR);

    private final Supplier<OverlayBackend> backends;
    private final KernelSockets kernels;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();

    // ---- guarded by lock
    private boolean closed;
    private ServerSocket kernel;
    /**
     * Before bind: an unbound platform server socket that reports, validates and answers options as the
     * JDK does; it becomes the kernel socket of a kernel bind and is closed by an overlay bind or close.
     */
    private ServerSocket probe;
    private InetSocketAddress kernelBind;
    private StreamListener listener;
    private OverlayBackend backend;
    private final List<Option> pending = new ArrayList<>();
    private volatile int timeoutMillis;
    private volatile boolean reuseAddress = true;
    private volatile int receiveBuffer = 64 * 1024;

    private interface Option {
        void apply(ServerSocket s) throws IOException;
    }

    /** Serves {@code backend}'s overlay ports; other ports listen on the kernel with {@code new ServerSocket()}. */
    public OverlayServerSocketImpl(OverlayBackend backend) {
        this(OverlaySocketImpl.constant(backend), KernelSockets.PLAIN);
    }

    /** As {@link #OverlayServerSocketImpl(OverlayBackend)}, with the backend asked for when first bound. */
    public OverlayServerSocketImpl(Supplier<OverlayBackend> backends) {
        this(backends, KernelSockets.PLAIN);
    }

    OverlayServerSocketImpl(Supplier<OverlayBackend> backends, KernelSockets kernels) {
        this.backends = Objects.requireNonNull(backends, "backends");
        this.kernels = Objects.requireNonNull(kernels, "kernels");
    }

    /** True when bound to a port served on the overlay. */
    public boolean isOverlay() {
        lock.lock();
        try {
            return listener != null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void create(boolean stream) throws IOException {
        if (!stream) {
            throw new SocketException("overlay server sockets are stream sockets");
        }
    }

    @Override
    protected void bind(InetAddress host, int port) throws IOException {
        lock.lock();
        try {
            if (closed) {
                throw new SocketException("Socket closed");
            }
            if (listener != null || kernel != null) {
                throw new SocketException("Already bound");
            }
            if (port != 0 && servesOnOverlay(port)) {
                OverlayBackend b;
                try {
                    b = backends.get();
                } catch (RuntimeException e) {
                    // Never fall back to a kernel port: a served port must not become reachable by TCP.
                    throw new SocketException("cannot bind port " + port + ": it is served on the overlay"
                            + " but the overlay backend is unavailable (" + e.getMessage() + ")");
                }
                // One owner per served port, shared with server channels of the same backend.
                Backends.claimServed(b, port);
                StreamListener l;
                try {
                    l = b.listener(port);
                    if (l != null && l.isClosed()) {
                        throw new SocketException("overlay port " + port + " is served but its listener is closed");
                    }
                } catch (IOException | RuntimeException e) {
                    Backends.releaseServed(b, port);
                    throw e;
                }
                if (l == null) {
                    Backends.releaseServed(b, port);
                } else {
                    backend = b;
                    listener = l;
                    if (probe != null) {
                        try {
                            probe.close();
                        } catch (IOException e) {
                            // an unbound socket: nothing to lose
                        }
                        probe = null;
                    }
                    localport = port;
                    address = b.localHandle();
                    l.setReadinessListener(this::signalArrival);
                    return;
                }
            }
            ServerSocket k = probe != null ? probe : kernels.newServerSocket();
            probe = null;
            try {
                for (Option o : pending) {
                    o.apply(k);
                }
            } catch (IOException | RuntimeException e) {
                k.close();
                throw e;
            }
            kernel = k;
            kernelBind = new InetSocketAddress(host, port);
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code port} is served, asked without starting the process runtime (see {@link Backends#serves}). */
    private boolean servesOnOverlay(int port) throws SocketException {
        try {
            return Backends.serves(backends, port);
        } catch (RuntimeException e) {
            // Never fall back to a kernel port when it may be served: it must not become reachable by TCP.
            throw new SocketException("cannot bind port " + port + ": cannot tell whether it is served on the"
                    + " overlay (" + e.getMessage() + ")");
        }
    }

    @Override
    protected void listen(int backlog) throws IOException {
        ServerSocket k;
        InetSocketAddress where;
        lock.lock();
        try {
            if (closed) {
                throw new SocketException("Socket closed");
            }
            if (listener != null) {
                return; // the backend's listener has its own backlog
            }
            if (kernel == null) {
                throw new SocketException("Not bound");
            }
            k = kernel;
            where = kernelBind;
        } finally {
            lock.unlock();
        }
        k.bind(where, backlog);
        localport = k.getLocalPort();
        address = k.getInetAddress();
    }

    private void signalArrival() {
        lock.lock();
        try {
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void accept(SocketImpl s) throws IOException {
        if (!(s instanceof OverlaySocketImpl into)) {
            throw new SocketException("an overlay server socket accepts into an OverlaySocketImpl (an OverlaySocket,"
                    + " or a Socket made while the overlay socket hook is installed), not a " + s.getClass().getName());
        }
        ServerSocket k;
        lock.lock();
        try {
            if (closed) {
                throw new SocketException("Socket closed");
            }
            k = kernel;
        } finally {
            lock.unlock();
        }
        if (k != null) {
            Socket accepted = k.accept();
            try {
                into.acceptedKernel(accepted);
            } catch (IOException | RuntimeException e) {
                accepted.close();
                throw e;
            }
            return;
        }
        OverlayStream stream = awaitStream();
        try {
            into.acceptedOverlay(backend, stream, localport);
        } catch (IOException | RuntimeException e) {
            stream.reset(StreamError.NO_ERROR);
            throw e;
        }
    }

    private OverlayStream awaitStream() throws IOException {
        int timeout = timeoutMillis;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new SocketException("Socket closed");
                }
                if (listener == null) {
                    throw new SocketException("Not bound");
                }
                OverlayStream s = listener.poll();
                if (s != null) {
                    return s;
                }
                if (listener.isClosed()) {
                    throw new SocketException("the overlay listener of port " + localport + " was closed");
                }
                if (!OverlayStream.isVirtualThread()) {
                    // platform threads ignore interrupts (keeping the status), as the JDK's sockets do
                    OverlayStream.awaitUninterruptiblyLocked(arrived, timeout == 0 ? 0 : deadline, "Accept");
                } else if (timeout == 0) {
                    arrived.await();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new SocketTimeoutException("Accept timed out");
                    }
                    arrived.await(left, TimeUnit.NANOSECONDS);
                }
            }
        } catch (InterruptedException e) {
            close(); // the lock is reentrant
            Thread.currentThread().interrupt();
            throw new SocketException("Closed by interrupt");
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void close() throws IOException {
        ServerSocket k;
        StreamListener l;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            k = kernel;
            l = listener;
            if (probe != null) {
                try {
                    probe.close();
                } catch (IOException e) {
                    // an unbound socket: nothing to lose
                }
                probe = null;
            }
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        if (l != null) {
            l.setReadinessListener(null);
            l.close(); // refuses connections from now on; streams waiting in the backlog are reset
            Backends.releaseServed(backend, localport); // after the close: the next owner gets a new listener
        }
        if (k != null) {
            k.close();
        }
    }

    // ------------------------------------------------------------------ addresses

    @Override
    protected InetAddress getInetAddress() {
        ServerSocket k = kernel();
        return k != null && k.isBound() ? k.getInetAddress() : address;
    }

    @Override
    protected int getLocalPort() {
        ServerSocket k = kernel();
        return k != null && k.isBound() ? k.getLocalPort() : localport;
    }

    @Override
    protected FileDescriptor getFileDescriptor() {
        return null;
    }

    private ServerSocket kernel() {
        lock.lock();
        try {
            return kernel;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ options

    @Override
    public void setOption(int optID, Object value) throws SocketException {
        Option o = switch (optID) {
            case SocketOptions.SO_TIMEOUT -> {
                if (!(value instanceof Integer t) || t < 0) {
                    throw new SocketException("Bad value for SO_TIMEOUT");
                }
                timeoutMillis = t;
                yield s -> s.setSoTimeout(t);
            }
            case SocketOptions.SO_REUSEADDR -> {
                if (!(value instanceof Boolean b)) {
                    throw new SocketException("Bad value for SO_REUSEADDR");
                }
                reuseAddress = b;
                yield s -> s.setReuseAddress(b);
            }
            case SocketOptions.SO_RCVBUF -> {
                if (!(value instanceof Integer n) || n <= 0) {
                    throw new SocketException("SO_RCVBUF <= 0");
                }
                receiveBuffer = n;
                yield s -> s.setReceiveBufferSize(n);
            }
            default -> throw new SocketException("Unknown option " + optID);
        };
        ServerSocket k;
        lock.lock();
        try {
            if (closed) {
                throw new SocketException("Socket closed");
            }
            k = kernel;
            if (k == null) {
                pending.add(o);
            }
        } finally {
            lock.unlock();
        }
        if (k != null) {
            try {
                o.apply(k);
            } catch (SocketException e) {
                throw e;
            } catch (IOException e) {
                throw new SocketException(e.getMessage());
            }
        }
    }

    @Override
    public Object getOption(int optID) throws SocketException {
        ServerSocket k = kernel();
        if (k != null) {
            return switch (optID) {
                case SocketOptions.SO_TIMEOUT -> {
                    try {
                        yield k.getSoTimeout();
                    } catch (IOException e) {
                        throw new SocketException(e.getMessage());
                    }
                }
                case SocketOptions.SO_REUSEADDR -> k.getReuseAddress();
                case SocketOptions.SO_RCVBUF -> k.getReceiveBufferSize();
                case SocketOptions.SO_BINDADDR -> k.getInetAddress();
                default -> throw new SocketException("Unknown option " + optID);
            };
        }
        return switch (optID) {
            case SocketOptions.SO_TIMEOUT -> timeoutMillis;
            case SocketOptions.SO_REUSEADDR -> reuseAddress;
            case SocketOptions.SO_RCVBUF -> receiveBuffer;
            case SocketOptions.SO_BINDADDR -> address != null ? address : new InetSocketAddress(0).getAddress();
            default -> throw new SocketException("Unknown option " + optID);
        };
    }

    @Override
    protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name);
        ServerSocket k = kernel();
        if (k != null) {
            k.setOption(name, value);
            return;
        }
        ServerSocket p = probe();
        if (p != null) {
            p.setOption(name, value); // validates as the JDK does
        }
        if (name == StandardSocketOptions.SO_RCVBUF) {
            setOption(SocketOptions.SO_RCVBUF, value);
        } else if (name == StandardSocketOptions.SO_REUSEADDR) {
            setOption(SocketOptions.SO_REUSEADDR, value);
        } else {
            lock.lock();
            try {
                if (listener != null) {
                    throw new UnsupportedOperationException("'" + name + "' not supported on overlay server sockets");
                }
                pending.add(s -> s.setOption(name, value));
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name);
        ServerSocket k = kernel();
        if (k != null) {
            return k.getOption(name);
        }
        if (name == StandardSocketOptions.SO_RCVBUF) {
            return (T) getOption(SocketOptions.SO_RCVBUF);
        } else if (name == StandardSocketOptions.SO_REUSEADDR) {
            return (T) getOption(SocketOptions.SO_REUSEADDR);
        }
        ServerSocket p = probe();
        if (p != null) {
            return p.getOption(name);
        }
        throw new UnsupportedOperationException("'" + name + "' not supported on overlay server sockets");
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        ServerSocket k = kernel();
        if (k != null) {
            return k.supportedOptions();
        }
        try {
            ServerSocket p = probe();
            if (p != null) {
                return p.supportedOptions();
            }
        } catch (IOException e) {
            // no platform socket to ask: the overlay's own options
        }
        return OVERLAY_OPTIONS;
    }

    /** The platform server socket standing in for this one before bind (created on first use), else null. */
    private ServerSocket probe() throws IOException {
        lock.lock();
        try {
            if (closed || listener != null || kernel != null) {
                return null;
            }
            if (probe == null) {
                probe = kernels.newServerSocket();
            }
            return probe;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ not for a listening socket

    @Override
    protected void connect(String host, int port) throws IOException {
        throw new SocketException("a server socket cannot connect");
    }

    @Override
    protected void connect(InetAddress address, int port) throws IOException {
        throw new SocketException("a server socket cannot connect");
    }

    @Override
    protected void connect(SocketAddress address, int timeout) throws IOException {
        throw new SocketException("a server socket cannot connect");
    }

    @Override
    protected InputStream getInputStream() throws IOException {
        throw new SocketException("a server socket has no input stream");
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        throw new SocketException("a server socket has no output stream");
    }

    @Override
    protected int available() {
        return 0;
    }

    @Override
    protected void sendUrgentData(int data) throws IOException {
        throw new SocketException("a server socket cannot send urgent data");
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            if (listener != null) {
                return "OverlayServerSocketImpl[overlay port " + localport + "]";
            }
            return "OverlayServerSocketImpl[" + (kernel != null ? "kernel " + kernel : closed ? "closed" : "unbound") + "]";
        } finally {
            lock.unlock();
        }
    }
}
