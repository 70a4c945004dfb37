package dev.overlay.nio;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketImpl;

/**
 * How an overlay socket makes the kernel socket it turns into when its target (or its bound port)
 * is not on the overlay.
 *
 * <p>{@link #PLAIN} uses the public constructors, {@code new Socket()} and {@code new ServerSocket()}:
 * right for the explicit factories, which live beside whatever implementation the JVM has.
 * {@link #jdk(boolean)} builds sockets on the JDK's own implementation objects, exactly as
 * {@code new Socket()} does when no {@link java.net.SocketImplFactory} is set; the global hook needs
 * it because, once its factory is set, the public constructors would come back to the hook. That
 * takes the package-private {@code SocketImpl.createPlatformSocketImpl(boolean)} and
 * {@code SocksSocketImpl(SocketImpl)}, so {@code java.base} must open {@code java.net} to this
 * code ({@code --add-opens java.base/java.net=ALL-UNNAMED}, or the agent).
 */
abstract class KernelSockets {
    /** A kernel socket for a client; {@code direct} when it was made with {@code Proxy.NO_PROXY}. */
    abstract Socket newSocket(boolean direct) throws IOException;

    abstract ServerSocket newServerSocket() throws IOException;

    static final KernelSockets PLAIN = new KernelSockets() {
        @Override
        Socket newSocket(boolean direct) {
            return direct ? new Socket(java.net.Proxy.NO_PROXY) : new Socket();
        }

        @Override
        ServerSocket newServerSocket() throws IOException {
            return new ServerSocket();
        }

        @Override
        public String toString() {
            return "public constructors";
        }
    };

    /**
     * Sockets on the JDK's own implementation objects.
     *
     * @throws IllegalStateException naming the JVM flag when {@code java.net} is not open to this code
     */
    static KernelSockets jdk(boolean check) {
        if (check) {
            JdkImpls.check();
        }
        return JDK;
    }

    private static final KernelSockets JDK = new KernelSockets() {
        @Override
        Socket newSocket(boolean direct) throws IOException {
            SocketImpl platform = JdkImpls.platform(false);
            return new JdkSocket(direct ? platform : JdkImpls.socks(platform));
        }

        @Override
        ServerSocket newServerSocket() throws IOException {
            return new JdkServerSocket(JdkImpls.platform(true));
        }

        @Override
        public String toString() {
            return "the JDK's own implementation";
        }
    };

    /** A kernel socket on a given (JDK) implementation, through the protected constructor. */
    static final class JdkSocket extends Socket {
        JdkSocket(SocketImpl impl) throws SocketException {
            super(impl);
        }
    }

    static final class JdkServerSocket extends ServerSocket {
        JdkServerSocket(SocketImpl impl) throws IOException {
            super(impl);
        }
    }

    /** The JDK internals, found once; {@link #PROBLEM} says why they cannot be used. */
    static final class JdkImpls {
        private static final MethodHandle CREATE_PLATFORM;
        private static final MethodHandle NEW_SOCKS;
        private static final MethodHandle SOCKET_IMPL;
        static final String PROBLEM;

        static {
            MethodHandle create = null;
            MethodHandle socks = null;
            MethodHandle implField = null;
            String why = null;
            Module net = Object.class.getModule();
            if (!net.isOpen("java.net", KernelSockets.class.getModule())) {
                why = "java.base does not open java.net to " + KernelSockets.class.getModule()
                        + "; start the JVM with --add-opens java.base/java.net=ALL-UNNAMED"
                        + " (or with the overlay agent, which opens it)";
            } else {
                try {
                    MethodHandles.Lookup l = MethodHandles.privateLookupIn(SocketImpl.class, MethodHandles.lookup());
                    create = l.findStatic(SocketImpl.class, "createPlatformSocketImpl",
                            MethodType.methodType(SocketImpl.class, boolean.class));
                    Class<?> socksClass = Class.forName("java.net.SocksSocketImpl");
                    socks = l.findConstructor(socksClass, MethodType.methodType(void.class, SocketImpl.class))
                            .asType(MethodType.methodType(SocketImpl.class, SocketImpl.class));
                    implField = MethodHandles.privateLookupIn(Socket.class, MethodHandles.lookup())
                            .findVarHandle(Socket.class, "impl", SocketImpl.class).toMethodHandle(
                                    java.lang.invoke.VarHandle.AccessMode.GET);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    why = "this JDK's java.net internals differ from JDK 17-25 (" + e + ")";
                }
            }
            CREATE_PLATFORM = create;
            NEW_SOCKS = socks;
            SOCKET_IMPL = implField;
            PROBLEM = why;
        }

        private JdkImpls() {}

        static void check() {
            if (PROBLEM != null) {
                throw new IllegalStateException("the overlay socket hook cannot be installed: " + PROBLEM);
            }
        }

        static SocketImpl platform(boolean server) throws IOException {
            check();
            try {
                return (SocketImpl) CREATE_PLATFORM.invokeExact(server);
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IOException(t);
            }
        }

        static SocketImpl socks(SocketImpl delegate) throws IOException {
            try {
                return (SocketImpl) NEW_SOCKS.invokeExact(delegate);
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IOException(t);
            }
        }

        /** The implementation behind a plain {@link Socket}, or null when it cannot be read. */
        static SocketImpl implOf(Socket s) {
            if (SOCKET_IMPL == null) {
                return null;
            }
            try {
                return (SocketImpl) SOCKET_IMPL.invoke(s);
            } catch (Throwable t) {
                return null;
            }
        }
    }
}
