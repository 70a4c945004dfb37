package dev.overlay.nio;

import dev.overlay.identity.NodeId;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The NIO drop-in: a {@link SelectorProvider} that wraps the platform's and reaches the overlay.
 *
 * <p>Install it for the whole JVM with
 * {@code -Djava.nio.channels.spi.SelectorProvider=dev.overlay.nio.OverlaySelectorProvider}: then
 * {@code SocketChannel.open()}, {@code Selector.open()}, {@code ServerSocketChannel.open()} and
 * everything built on them (the JDK's {@code HttpClient}, Netty's NIO transport, Jetty, ...) come
 * from here. Or create one with {@link #OverlaySelectorProvider(OverlayBackend)} and open channels
 * from it directly.
 *
 * <ul>
 *   <li>{@link #openSocketChannel()}: an {@link OverlaySocketChannel}, a platform channel in a thin
 *       wrapper until it connects to an overlay name ({@code <base32>.overlay}, unresolved) or
 *       handle ({@code fd6f::/16}); then it is an overlay stream and the platform channel is closed.
 *   <li>{@link #openServerSocketChannel()}: an {@link OverlayServerSocketChannel}; bound to a port
 *       the overlay serves it accepts overlay streams only and opens no kernel port; otherwise a
 *       platform server channel in a wrapper.
 *   <li>{@link #openSelector()}: an {@link OverlaySelector} that serves both kinds of channel.
 *   <li>Datagram channels, pipes and channels of other protocol families (Unix domain) are the
 *       platform's, each in a wrapper so that it registers with this provider's selector.
 * </ul>
 */
public class OverlaySelectorProvider extends SelectorProvider {
    private final Supplier<OverlayBackend> backendSource;
    private volatile OverlayBackend backend;

    /**
     * The provider the JDK instantiates from {@code -Djava.nio.channels.spi.SelectorProvider}: its
     * overlay is the process-wide runtime ({@link Backends#process()}), started when a channel
     * first needs it.
     */
    public OverlaySelectorProvider() {
        // Nothing else here: the JDK runs this inside SelectorProvider's own class initialization,
        // so the platform provider is found later, on first use (see PlatformProvider).
        this.backendSource = Backends.lazyProcess();
    }

    /** A provider whose overlay channels go through {@code backend}. */
    public OverlaySelectorProvider(OverlayBackend backend) {
        Objects.requireNonNull(backend, "backend");
        this.backendSource = () -> backend;
        this.backend = backend;
    }

    /**
     * The platform's own provider (what {@link SelectorProvider#provider()} would return without
     * the overlay): for sockets that must never go through the overlay, such as the node's own UDP
     * socket. Found without calling {@link SelectorProvider#provider()} when this class is the
     * installed provider; see {@code docs/nio.md}.
     */
    public static SelectorProvider platform() {
        return PlatformProvider.get();
    }

    /** The overlay this provider's channels use, resolved on first call. */
    OverlayBackend backend() throws IOException {
        OverlayBackend b = backend;
        if (b == null) {
            try {
                b = Objects.requireNonNull(backendSource.get(), "the overlay backend is null");
            } catch (RuntimeException | Error e) {
                throw new IOException("overlay unavailable: " + e.getMessage(), e);
            }
            backend = b;
        }
        return b;
    }

    /**
     * Makes this provider use {@code b} from now on: for tests of the JVM-wide provider (installed
     * by the property, so created without a backend) and for an agent that built the runtime itself.
     */
    void useBackend(OverlayBackend b) {
        backend = Objects.requireNonNull(b, "backend");
    }

    SelectorProvider platformProvider() {
        return PlatformProvider.get();
    }

    /**
     * Whether {@code target} goes through the overlay. Only a handle or an unresolved
     * {@code .overlay} name is put to the backend, so plain kernel traffic never starts the
     * process-wide runtime.
     */
    boolean isOverlay(SocketAddress target) throws IOException {
        if (!(target instanceof InetSocketAddress isa)) {
            return false;
        }
        if (isa.isUnresolved() ? !NodeId.isOverlayName(isa.getHostString()) : !NodeId.isHandle(isa.getAddress())) {
            // Loopback to a port this JVM serves on the overlay: see OverlayRuntime.isLoopbackToServed.
            if (!OverlayRuntime.isLoopbackToServed(isa, Backends::ownedByAny)) {
                return false;
            }
        }
        return backend().isOverlay(isa);
    }

    /**
     * Whether {@code port} is served on the overlay, without starting the process-wide runtime
     * ({@link Backends#serves}): a kernel bind never needs it.
     */
    boolean serves(int port) throws IOException {
        OverlayBackend b = backend;
        try {
            return b != null ? b.serves(port) : Backends.serves(backendSource, port);
        } catch (RuntimeException | Error e) {
            throw new IOException("overlay unavailable: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ SelectorProvider

    @Override
    public DatagramChannel openDatagramChannel() throws IOException {
        return new WrappedDatagramChannel(this, platformProvider().openDatagramChannel());
    }

    @Override
    public DatagramChannel openDatagramChannel(ProtocolFamily family) throws IOException {
        return new WrappedDatagramChannel(this, platformProvider().openDatagramChannel(family));
    }

    @Override
    public Pipe openPipe() throws IOException {
        return new WrappedPipe(this, platformProvider().openPipe());
    }

    @Override
    public AbstractSelector openSelector() throws IOException {
        return new OverlaySelector(this, platformProvider().openSelector());
    }

    @Override
    public ServerSocketChannel openServerSocketChannel() throws IOException {
        return new OverlayServerSocketChannel(this, platformProvider().openServerSocketChannel(), true);
    }

    @Override
    public SocketChannel openSocketChannel() throws IOException {
        return new OverlaySocketChannel(this, platformProvider().openSocketChannel(), true);
    }

    /**
     * The platform's channel of {@code family} in a wrapper; INET and INET6 channels may still
     * connect through the overlay, Unix-domain ones never do.
     */
    @Override
    public SocketChannel openSocketChannel(ProtocolFamily family) throws IOException {
        return new OverlaySocketChannel(this, platformProvider().openSocketChannel(family), isInet(family));
    }

    @Override
    public ServerSocketChannel openServerSocketChannel(ProtocolFamily family) throws IOException {
        return new OverlayServerSocketChannel(this, platformProvider().openServerSocketChannel(family), isInet(family));
    }

    /** The platform's inherited channel (see {@link System#inheritedChannel()}), wrapped when selectable. */
    @Override
    public Channel inheritedChannel() throws IOException {
        Channel c = platformProvider().inheritedChannel();
        if (c instanceof SocketChannel sc) {
            return new OverlaySocketChannel(this, sc, false);
        }
        if (c instanceof ServerSocketChannel ssc) {
            return new OverlayServerSocketChannel(this, ssc, false);
        }
        if (c instanceof DatagramChannel dc) {
            return new WrappedDatagramChannel(this, dc);
        }
        return c;
    }

    private static boolean isInet(ProtocolFamily family) {
        return family == StandardProtocolFamily.INET || family == StandardProtocolFamily.INET6;
    }

    @Override
    public String toString() {
        return "OverlaySelectorProvider[platform=" + platformProvider().getClass().getName() + "]";
    }
}
