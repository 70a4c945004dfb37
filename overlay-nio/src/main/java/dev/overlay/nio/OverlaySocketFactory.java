package dev.overlay.nio;

import dev.overlay.identity.NodeId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.SocketFactory;

/**
 * A {@link SocketFactory} whose sockets reach overlay targets (IPv6 handles, {@code <base32>.overlay}
 * names and aliases) through the overlay and everything else through the kernel, so one factory
 * serves mixed use. For clients that take a factory instead of a hook:
 * <ul>
 *   <li>pgjdbc: {@code socketFactory=dev.overlay.nio.OverlaySocketFactory} (the public no-arg
 *       constructor; {@code socketFactoryArg} may be left out);
 *   <li>MariaDB Connector/J: {@code socketFactory=dev.overlay.nio.OverlaySocketFactory};
 *   <li>OkHttp: {@code new OkHttpClient.Builder().socketFactory(new OverlaySocketFactory())};
 *   <li>anything that calls a {@code SocketFactory} class's static {@code getDefault()} (JNDI/LDAP's
 *       {@code java.naming.ldap.factory.socket}): {@link #getDefault()}.
 * </ul>
 * The no-arg constructor takes the process runtime ({@link Backends#process()}, configured from
 * the {@code overlay.*} system properties) when a socket first needs the overlay; kernel targets
 * never start it.
 */
public class OverlaySocketFactory extends SocketFactory {
    private static final class Shared {
        static final OverlaySocketFactory INSTANCE = new OverlaySocketFactory();
    }

    private final Supplier<OverlayBackend> backends;

    /** Overlay targets go to the process runtime, looked up when first needed. */
    public OverlaySocketFactory() {
        this(Backends.lazyProcess());
    }

    /**
     * For pgjdbc, which passes its {@code socketFactoryArg} property (null when not set) to a
     * constructor taking a String. The configuration comes from the {@code overlay.*} properties;
     * a non-empty argument is refused rather than ignored.
     */
    public OverlaySocketFactory(String arg) {
        this();
        if (arg != null && !arg.isBlank()) {
            throw new IllegalArgumentException("OverlaySocketFactory takes no argument (got socketFactoryArg '"
                    + arg + "'); configure the overlay with overlay.* system properties or -Doverlay.config=FILE");
        }
    }

    /** Overlay targets go to {@code backend}. */
    public OverlaySocketFactory(OverlayBackend backend) {
        this(OverlaySocketImpl.constant(backend));
    }

    /** Overlay targets go to the backend {@code backends} gives when a socket first needs one. */
    public OverlaySocketFactory(Supplier<OverlayBackend> backends) {
        this.backends = Objects.requireNonNull(backends, "backends");
    }

    /** A shared factory on the process runtime (for code that calls a factory class's static getDefault()). */
    public static SocketFactory getDefault() {
        return Shared.INSTANCE;
    }

    /** An unconnected socket: {@code connect} decides overlay or kernel by its target. */
    @Override
    public Socket createSocket() throws IOException {
        return new OverlaySocket(new OverlaySocketImpl(backends, KernelSockets.PLAIN, false));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(target(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected(target(host, port), new InetSocketAddress(localHost, localPort));
    }

    /** A {@code .overlay} name stays unresolved (no DNS query); any other host is resolved as the JDK does. */
    static InetSocketAddress target(String host, int port) {
        if (host != null && NodeId.isOverlayName(host)) {
            return InetSocketAddress.createUnresolved(host, port);
        }
        return new InetSocketAddress(host, port);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    private Socket connected(InetSocketAddress target, InetSocketAddress local) throws IOException {
        Socket s = createSocket();
        try {
            if (local != null) {
                s.bind(local);
            }
            s.connect(target);
            return s;
        } catch (IOException | RuntimeException e) {
            try {
                s.close();
            } catch (IOException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }
}
