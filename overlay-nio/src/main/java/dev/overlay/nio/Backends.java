package dev.overlay.nio;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Where sockets and factories built without an explicit {@link OverlayBackend} find one: the
 * process runtime, {@code dev.overlay.nio.OverlayRuntime.get()}, started from the
 * {@code overlay.*} system properties. It is looked up reflectively and only when first needed,
 * so a factory can be created (say, by a JDBC driver) before the runtime exists or is configured.
 */
public final class Backends {
    /** The class and static method that give the process-wide backend. */
    static final String RUNTIME_CLASS = "dev.overlay.nio.OverlayRuntime";
    static final String RUNTIME_METHOD = "get";

    /** Set by {@link #setProcess}: takes the place of the runtime. */
    private static volatile OverlayBackend override;

    private Backends() {}

    /**
     * Makes {@link #process()} return {@code backend} instead of asking the runtime, for an
     * application that builds its own node (or a test) but wants the no-argument factories, which
     * JDBC drivers instantiate by class name, to use it; null restores the runtime.
     *
     * @return the backend set before, or null
     */
    public static OverlayBackend setProcess(OverlayBackend backend) {
        OverlayBackend previous = override;
        override = backend;
        return previous;
    }

    /**
     * The process-wide backend: the one given to {@link #setProcess}, else {@code OverlayRuntime.get()}.
     *
     * @throws IllegalStateException naming the reason when there is no runtime on the class path
     *     or it cannot start (its own message, e.g. a bad configuration key, is kept)
     */
    public static OverlayBackend process() {
        OverlayBackend set = override;
        if (set != null) {
            return set;
        }
        Method get;
        try {
            Class<?> c = Class.forName(RUNTIME_CLASS, true, Backends.class.getClassLoader());
            get = c.getMethod(RUNTIME_METHOD);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new IllegalStateException("no overlay runtime: " + RUNTIME_CLASS + "." + RUNTIME_METHOD
                    + "() is not on the class path; pass an OverlayBackend explicitly", e);
        }
        Object backend;
        try {
            backend = get.invoke(null);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("the overlay runtime did not start: " + cause.getMessage(), cause);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(RUNTIME_CLASS + "." + RUNTIME_METHOD + "() is not accessible", e);
        }
        if (!(backend instanceof OverlayBackend b)) {
            throw new IllegalStateException(RUNTIME_CLASS + "." + RUNTIME_METHOD + "() returned "
                    + (backend == null ? "null" : "a " + backend.getClass().getName()) + ", not an OverlayBackend");
        }
        return b;
    }

    /** {@link #process()}, resolved on first use and then remembered. */
    public static Supplier<OverlayBackend> lazyProcess() {
        return new ProcessSupplier();
    }

    /**
     * Whether {@code port} is served on the overlay by the process-wide backend, answered without
     * starting the runtime: the backend given to {@link #setProcess} or the running runtime answer
     * themselves; otherwise the {@code serve} key of the system properties' configuration decides
     * ({@link OverlayConfig#servedPortsFromSystemProperties()}). So a kernel server on a port that
     * is not served never starts (or fails on) the runtime.
     *
     * @throws IllegalArgumentException when the {@code serve} configuration is wrong
     */
    public static boolean processServes(int port) {
        OverlayBackend set = override;
        if (set != null) {
            return set.serves(port);
        }
        OverlayRuntime running = OverlayRuntime.current();
        if (running != null) {
            return running.serves(port);
        }
        return OverlayConfig.servedPortsFromSystemProperties().contains(port);
    }

    /**
     * Whether the backend {@code backends} supplies serves {@code port}: for the process backend
     * ({@link #lazyProcess()}) without starting it, see {@link #processServes}; for any other
     * supplier, by asking its backend.
     */
    static boolean serves(Supplier<OverlayBackend> backends, int port) {
        if (backends instanceof ProcessSupplier p) {
            return p.serves(port);
        }
        return backends.get().serves(port);
    }

    /** {@link #lazyProcess()}: tells served ports without starting the runtime. */
    private static final class ProcessSupplier implements Supplier<OverlayBackend> {
        private final Supplier<OverlayBackend> backend = memoize(Backends::process);
        private volatile OverlayBackend resolved;

        @Override
        public OverlayBackend get() {
            OverlayBackend b = backend.get();
            resolved = b;
            return b;
        }

        boolean serves(int port) {
            OverlayBackend b = resolved;
            return b != null ? b.serves(port) : processServes(port);
        }
    }

    // ------------------------------------------------------------------ served-port owners

    /** The served ports bound by a server (ServerSocket or ServerSocketChannel), per backend. */
    private static final java.util.Map<OverlayBackend, java.util.Set<Integer>> OWNED = new java.util.WeakHashMap<>();

    /**
     * Claims {@code port} of {@code backend} for one server, as binding a kernel port does.
     *
     * @throws java.net.BindException "port P is already bound on the overlay" when another server holds it
     */
    static void claimServed(OverlayBackend backend, int port) throws java.net.BindException {
        synchronized (OWNED) {
            if (!OWNED.computeIfAbsent(backend, b -> new java.util.HashSet<>()).add(port)) {
                throw new java.net.BindException("Address already in use: port " + port + " is already bound on the overlay");
            }
        }
    }

    /** Whether a server of {@code backend} is bound on its served {@code port} now. */
    static boolean owns(OverlayBackend backend, int port) {
        synchronized (OWNED) {
            java.util.Set<Integer> ports = OWNED.get(backend);
            return ports != null && ports.contains(port);
        }
    }

    /** Whether a server of any backend in this JVM is bound on served {@code port} now (no runtime is started). */
    static boolean ownedByAny(int port) {
        synchronized (OWNED) {
            for (java.util.Set<Integer> ports : OWNED.values()) {
                if (ports.contains(port)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Gives back a port {@link #claimServed claimed} before. */
    static void releaseServed(OverlayBackend backend, int port) {
        synchronized (OWNED) {
            java.util.Set<Integer> ports = OWNED.get(backend);
            if (ports != null) {
                ports.remove(port);
            }
        }
    }

    /** A supplier that asks {@code s} until it first succeeds, then returns that answer for ever. */
    static Supplier<OverlayBackend> memoize(Supplier<OverlayBackend> s) {
        Objects.requireNonNull(s, "backend supplier");
        return new Supplier<>() {
            private volatile OverlayBackend value;

            @Override
            public OverlayBackend get() {
                OverlayBackend v = value;
                if (v == null) {
                    v = Objects.requireNonNull(s.get(), "the backend supplier returned null");
                    value = v;
                }
                return v;
            }
        };
    }
}
