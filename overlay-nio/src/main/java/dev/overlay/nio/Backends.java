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
        return memoize(Backends::process);
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
