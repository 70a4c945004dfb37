package dev.overlay.node;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;

/**
 * UDP generic segmentation offload (Linux {@code UDP_SEGMENT}, kernel 4.18 and later) on the
 * node's socket, set through JNR-FFI because the JDK has no such socket option.
 *
 * <p>With a segment size {@code S} set on the socket, one {@code sendto} of {@code n * S + r}
 * bytes ({@code r <= S}) leaves as {@code n} datagrams of {@code S} bytes and one of {@code r}:
 * the kernel walks its send path once for the whole buffer instead of once per datagram. Each
 * datagram on the wire is unchanged (same size, same bytes, sealed on its own); the receiver needs
 * no support. A send of at most {@code S} bytes is a plain single datagram.
 *
 * <p>The socket's file descriptor comes from the JDK's channel: through
 * {@code sun.nio.ch.SelChImpl.getFDVal()} when {@code java.base} exports that package to us (the
 * agent does; so does {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}), otherwise by
 * finding the one datagram socket in {@code /proc/self/fd} whose {@code getsockname} equals the
 * channel's bound address.
 *
 * <p>On JDK 24 and later it is used only where native access is enabled
 * ({@link #nativeAccessDenied()}).
 *
 * <p>Not thread-safe: the node's event loop owns it.
 */
final class UdpSegmentation {
    /** {@code SOL_UDP} (= IPPROTO_UDP). */
    private static final int SOL_UDP = 17;
    /** {@code UDP_SEGMENT} from {@code linux/udp.h}. */
    private static final int UDP_SEGMENT = 103;
    private static final int SOL_SOCKET = 1;
    private static final int SO_TYPE = 3;
    private static final int SOCK_DGRAM = 2;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    /** Segment size used to check that the kernel takes the option. */
    private static final int PROBE_SEGMENT = 1200;
    /** {@code UDP_MAX_SEGMENTS} in every kernel that has {@code UDP_SEGMENT}. */
    static final int MAX_SEGMENTS = 64;

    /** The libc calls used here (JNR-FFI binds them; public so it can implement the interface). */
    public interface LibC {
        int setsockopt(int fd, int level, int name, @In IntByReference value, int length);

        int getsockopt(int fd, int level, int name, @Out IntByReference value, IntByReference length);

        int getsockname(int fd, @Out byte[] address, IntByReference length);

        /** {@code ssize_t recvmsg(int, struct msghdr *, int)}; the header is native memory we lay out. */
        @jnr.ffi.types.ssize_t
        long recvmsg(int fd, jnr.ffi.Pointer message, int flags);
    }

    /** What {@link #attach} found: the offload, or why there is none. */
    record Probe(UdpSegmentation offload, String unavailable) {
        static Probe none(String why) {
            return new Probe(null, why);
        }
    }

    private final LibC libc;
    private final jnr.ffi.Runtime runtime;
    private final int fd;
    /** The segment size the socket has now; 0: none (every send is one datagram). */
    private int segment;

    private UdpSegmentation(LibC libc, int fd) {
        this.libc = libc;
        this.runtime = jnr.ffi.Runtime.getRuntime(libc);
        this.fd = fd;
    }

    /** libc through JNR-FFI, loading or loaded; one per JVM. */
    private static volatile CompletableFuture<LibC> libcLoading;

    /**
     * Why the offload cannot be used in this JVM at all (not Linux, native access not enabled),
     * or null: then {@link #libcLoading()} may give the C library. Cheap: loads nothing.
     */
    static String unavailable() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            return "needs Linux (this is " + System.getProperty("os.name") + ")";
        }
        return nativeAccessDenied();
    }

    /**
     * The C library through JNR-FFI, loaded once per JVM on a daemon thread started by the first
     * call: loading JNR-FFI (its native stub and a generated class) takes 0.2-0.3 s on a cold JVM,
     * which a node's start should not wait for. Fails with the {@link LinkageError} or runtime
     * exception the load threw. Call only when {@link #unavailable()} is null.
     */
    static CompletableFuture<LibC> libcLoading() {
        CompletableFuture<LibC> f = libcLoading;
        if (f != null) {
            return f;
        }
        synchronized (UdpSegmentation.class) {
            if (libcLoading == null) {
                CompletableFuture<LibC> loading = new CompletableFuture<>();
                Thread t = new Thread(() -> {
                    try {
                        loading.complete(loadLibc());
                    } catch (Throwable e) {
                        loading.completeExceptionally(e);
                    }
                }, "overlay-native-load");
                t.setDaemon(true);
                t.setContextClassLoader(null); // holds no application class loader alive
                t.start();
                libcLoading = loading;
            }
            return libcLoading;
        }
    }

    /**
     * Sets up segmentation offload on {@code channel}'s socket (bound already) with {@code libc},
     * or says why it cannot: the descriptor not found, or the kernel refusing {@code UDP_SEGMENT}.
     * Never throws.
     */
    static Probe attach(DatagramChannel channel, LibC libc) {
        int fd;
        try {
            fd = descriptor(libc, channel);
        } catch (IOException | LinkageError | RuntimeException e) {
            return Probe.none("cannot find the socket's file descriptor: " + e.getMessage());
        }
        UdpSegmentation s = new UdpSegmentation(libc, fd);
        String refused = s.trySet(PROBE_SEGMENT);
        if (refused == null && s.read() != PROBE_SEGMENT) {
            refused = "the kernel did not keep the segment size";
        }
        if (refused != null) {
            return Probe.none("the kernel refused UDP_SEGMENT (needs Linux 4.18+): " + refused);
        }
        String reset = s.trySet(0);
        if (reset != null) {
            return Probe.none("cannot clear UDP_SEGMENT: " + reset);
        }
        return new Probe(s, null);
    }

    /**
     * Why this JVM does not let us load native code without a warning, or null when it does. From
     * JDK 24 (JEP 472) loading a native library from a module without native access prints a
     * warning, and a future release will refuse it: the offload then stays off until the JVM is
     * started with {@code --enable-native-access=ALL-UNNAMED} (or the module's name). The JVM's
     * owner decides, not a library.
     */
    static String nativeAccessDenied() {
        if (Runtime.version().feature() < 24) {
            return null;
        }
        Module module = UdpSegmentation.class.getModule();
        try {
            Method enabled = Module.class.getMethod("isNativeAccessEnabled");
            if ((Boolean) enabled.invoke(module)) {
                return null;
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "cannot tell whether native access is enabled: " + e;
        }
        return "native access is not enabled for " + (module.isNamed() ? "module " + module.getName() : "the class path")
                + " (start the JVM with --enable-native-access=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED") + ")";
    }

    /** The C library, bound through JNR-FFI; throws {@link LinkageError} or a runtime exception if it cannot be. */
    static LibC loadLibc() {
        return LibraryLoader.create(LibC.class).failImmediately().load("c");
    }

    /** The segment size on the socket now (0: none). */
    int segment() {
        return segment;
    }

    /**
     * Sets the socket's segment size ({@code 0}: off); no system call when it already is.
     *
     * @return null, or the error (the size on the socket is then unknown and treated as unchanged)
     */
    String set(int size) {
        if (size == segment) {
            return null;
        }
        return trySet(size);
    }

    private String trySet(int size) {
        String refused = setOption(UDP_SEGMENT, size);
        if (refused == null) {
            segment = size;
        }
        return refused;
    }

    /** Sets the {@code SOL_UDP} option {@code name} on the socket; null, or the error. */
    String setOption(int name, int value) {
        if (libc.setsockopt(fd, SOL_UDP, name, new IntByReference(value), Integer.BYTES) != 0) {
            return errno("setsockopt(" + (name == UDP_SEGMENT ? "UDP_SEGMENT" : "SOL_UDP " + name) + ", " + value + ")");
        }
        return null;
    }

    LibC libc() {
        return libc;
    }

    int fd() {
        return fd;
    }

    private int read() {
        IntByReference v = new IntByReference(-1);
        IntByReference len = new IntByReference(Integer.BYTES);
        return libc.getsockopt(fd, SOL_UDP, UDP_SEGMENT, v, len) == 0 ? v.intValue() : -1;
    }

    private String errno(String call) {
        int e = runtime.getLastError();
        String name = switch (e) {
            case 9 -> "EBADF";
            case 22 -> "EINVAL";
            case 88 -> "ENOTSOCK";
            case 92 -> "ENOPROTOOPT";
            case 95 -> "EOPNOTSUPP";
            default -> "errno " + e;
        };
        return call + " failed: " + name;
    }

    /** The descriptor of {@code channel}'s socket: from the JDK if it lets us, else found by address. */
    static int descriptor(LibC libc, DatagramChannel channel) throws IOException {
        Integer fromJdk = descriptorFromJdk(channel);
        return fromJdk != null ? fromJdk : descriptorByAddress(libc, channel);
    }

    /** {@code sun.nio.ch.SelChImpl.getFDVal()}, or null when that package is not exported to us. */
    static Integer descriptorFromJdk(DatagramChannel channel) {
        try {
            Method m = Class.forName("sun.nio.ch.SelChImpl").getMethod("getFDVal");
            return (Integer) m.invoke(channel);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The one datagram socket among this process's descriptors whose local address is the
     * channel's. Bound UDP addresses are unique in a process (no {@code SO_REUSEPORT} here), so
     * exactly one matches; anything else is an error rather than a guess.
     */
    static int descriptorByAddress(LibC libc, DatagramChannel channel) throws IOException {
        InetSocketAddress local = (InetSocketAddress) channel.getLocalAddress();
        if (local == null) {
            throw new IOException("the channel is not bound");
        }
        int found = -1;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : fds) {
                int fd;
                try {
                    fd = Integer.parseInt(p.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                if (isDatagramSocketAt(libc, fd, local)) {
                    if (found >= 0) {
                        throw new IOException("descriptors " + found + " and " + fd + " are both bound to " + local);
                    }
                    found = fd;
                }
            }
        }
        if (found < 0) {
            throw new IOException("no descriptor in /proc/self/fd is a datagram socket bound to " + local);
        }
        return found;
    }

    private static boolean isDatagramSocketAt(LibC libc, int fd, InetSocketAddress local) {
        IntByReference type = new IntByReference(-1);
        if (libc.getsockopt(fd, SOL_SOCKET, SO_TYPE, type, new IntByReference(Integer.BYTES)) != 0
                || type.intValue() != SOCK_DGRAM) {
            return false;
        }
        byte[] sa = new byte[128];
        IntByReference len = new IntByReference(sa.length);
        if (libc.getsockname(fd, sa, len) != 0) {
            return false;
        }
        int family = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
                ? (sa[0] & 0xff) | (sa[1] & 0xff) << 8 : (sa[0] & 0xff) << 8 | (sa[1] & 0xff);
        int port = (sa[2] & 0xff) << 8 | (sa[3] & 0xff);
        if (port != local.getPort()) {
            return false;
        }
        InetAddress bound;
        try {
            if (family == AF_INET) {
                bound = InetAddress.getByAddress(Arrays.copyOfRange(sa, 4, 8));
            } else if (family == AF_INET6) {
                bound = InetAddress.getByAddress(Arrays.copyOfRange(sa, 8, 24)); // v4-mapped becomes Inet4Address
            } else {
                return false;
            }
        } catch (UnknownHostException e) {
            return false;
        }
        return sameBinding(bound, local.getAddress());
    }

    /** Same address, counting the IPv4 and IPv6 wildcards as one (a dual-stack socket on "any"). */
    private static boolean sameBinding(InetAddress a, InetAddress b) {
        if (a.isAnyLocalAddress() && b.isAnyLocalAddress()) {
            return true;
        }
        if (a instanceof Inet6Address && b instanceof Inet4Address || a instanceof Inet4Address && b instanceof Inet6Address) {
            return false;
        }
        return a.equals(b);
    }
}
