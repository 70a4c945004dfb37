package dev.overlay.nio;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketImpl;
import java.net.SocketImplFactory;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The global hook for unchanged code ({@code new Socket(host, port)}, {@code HttpURLConnection},
 * JDBC drivers, {@code new ServerSocket(port)}): installs a client {@link SocketImplFactory}
 * ({@link Socket#setSocketImplFactory}) and a server one ({@link ServerSocket#setSocketFactory}).
 *
 * <p>What every socket made afterwards gets:
 * <ul>
 *   <li>A client socket gets an {@link OverlaySocketImpl} that, until {@code connect}, only
 *       remembers; an overlay target makes it an overlay stream, any other target makes it a
 *       socket on the JDK's own implementation objects, created exactly as the JDK creates them
 *       without a factory ({@code SocksSocketImpl} over the platform implementation, or the bare
 *       platform implementation for {@code new Socket(Proxy.NO_PROXY)}), to which every call then
 *       goes.
 *   <li>{@code new Socket()} (the no-argument constructor, which {@code SSLServerSocket.accept()}
 *       and {@code implAccept(new Socket())} idioms use) gets no implementation at first: the
 *       factory returns null there, and the JDK asks it again on the socket's first use. A kernel
 *       {@code ServerSocket} that accepts into such a socket therefore sees no implementation and
 *       takes its platform path, as if no factory were set.
 *   <li>A server socket gets an {@link OverlayServerSocketImpl}: overlay-only on served ports,
 *       otherwise a listening socket on the JDK's platform implementation. Because it and the
 *       client implementations are both "custom" in the JDK's sense, {@code ServerSocket.implAccept}
 *       accepts between them, including into a socket that was configured before the accept.
 * </ul>
 *
 * <p>Requirements and limits (JDK 17 and 25 alike; see docs/nio.md):
 * <ul>
 *   <li>{@code java.base} must open {@code java.net} to this code: start the JVM with
 *       {@code --add-opens java.base/java.net=ALL-UNNAMED} (or with the overlay agent, which opens
 *       it at run time). Without it {@link #install} throws {@link IllegalStateException} naming
 *       the flag; nothing is installed.
 *   <li>Install it before the first {@code ServerSocket} that should serve overlay ports is made.
 *       A kernel {@code ServerSocket} made before the hook still works for plain accepts and
 *       {@code SSLServerSocket}; only accepting into a {@code new Socket()} that was configured
 *       (say, {@code setSoTimeout}) before {@code implAccept} fails there, with the JDK's
 *       "cannot accept a connection with an instance of ..." message.
 *   <li>The JDK allows one factory of each kind per JVM and no removal: {@link #install} fails if
 *       another library set one.
 * </ul>
 */
public final class OverlaySocketHook {
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static volatile Supplier<OverlayBackend> installed;
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private OverlaySocketHook() {}

    /** Installs the hook on the process runtime ({@link Backends#process()}, asked when first needed). */
    public static void install() throws IOException {
        install(Backends.lazyProcess());
    }

    public static void install(OverlayBackend backend) throws IOException {
        install(OverlaySocketImpl.constant(backend));
    }

    /**
     * Installs the hook with the backend {@code backends} gives when a socket first needs one.
     *
     * @throws IllegalStateException when {@code java.net} is not open to this code (the message
     *     names the flag), when the hook is already installed, or when another library already set
     *     a socket implementation factory
     * @throws IOException when the JDK refuses a factory
     */
    @SuppressWarnings("deprecation") // the JDK's only hook for plain sockets; deprecated, not going away in 17-25
    public static void install(Supplier<OverlayBackend> backends) throws IOException {
        Objects.requireNonNull(backends, "backends");
        LOCK.lock();
        try {
            if (installed != null) {
                throw new IllegalStateException("the overlay socket hook is already installed");
            }
            KernelSockets kernels = KernelSockets.jdk(true);
            Supplier<OverlayBackend> memo = Backends.memoize(backends);
            VarHandle clientField = staticField(Socket.class, "factory");
            VarHandle serverField = staticField(ServerSocket.class, "factory");
            Object client = clientField.getVolatile();
            Object server = serverField.getVolatile();
            if (client != null || server != null) {
                throw new IllegalStateException("cannot install the overlay socket hook: a "
                        + (client != null ? "Socket" : "ServerSocket") + " implementation factory is already set ("
                        + (client != null ? client : server).getClass().getName() + ")");
            }
            ServerSocket.setSocketFactory(() -> new OverlayServerSocketImpl(memo, kernels));
            Socket.setSocketImplFactory(() -> createClientImpl(memo, kernels));
            installed = memo;
        } finally {
            LOCK.unlock();
        }
    }

    /** True once {@link #install} succeeded in this JVM. */
    public static boolean isInstalled() {
        return installed != null;
    }

    private static VarHandle staticField(Class<?> owner, String name) {
        try {
            return MethodHandles.privateLookupIn(owner, MethodHandles.lookup())
                    .findStaticVarHandle(owner, name, SocketImplFactory.class);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot install the overlay socket hook: " + owner.getName()
                    + "." + name + " is not where JDK 17-25 keep it (" + e + ")", e);
        }
    }

    /**
     * The client factory. Null for the no-argument {@code Socket()} constructor (the JDK asks again
     * on first use), a direct impl for {@code Socket(Proxy.NO_PROXY)}, otherwise one that goes
     * through the JDK's SOCKS-aware implementation for kernel targets.
     */
    private static SocketImpl createClientImpl(Supplier<OverlayBackend> backends, KernelSockets kernels) {
        // The factory's caller: Socket's constructors call it through setImpl (JDK 17) or
        // createImpl (JDK 25); getImpl() and ServerSocket.implAccept are the other callers.
        Optional<StackWalker.StackFrame> caller = WALKER.walk(frames -> frames
                .dropWhile(f -> f.getDeclaringClass() == OverlaySocketHook.class)
                .dropWhile(f -> f.getDeclaringClass() == Socket.class
                        && (f.getMethodName().equals("setImpl") || f.getMethodName().equals("createImpl")))
                .findFirst());
        if (caller.isPresent() && caller.get().getDeclaringClass() == Socket.class
                && caller.get().getMethodName().equals("<init>")) {
            String descriptor = caller.get().getDescriptor();
            if (descriptor.equals("()V")) {
                return null;
            }
            if (descriptor.equals("(Ljava/net/Proxy;)V")) {
                return new OverlaySocketImpl(backends, kernels, true);
            }
        }
        return new OverlaySocketImpl(backends, kernels, false);
    }
}
