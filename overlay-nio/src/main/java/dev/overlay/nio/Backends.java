package dev.overlay.nio;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Where the no-argument {@link OverlaySelectorProvider} (the one the JDK instantiates from
 * {@code -Djava.nio.channels.spi.SelectorProvider}) gets its overlay from: the process-wide
 * runtime, {@code OverlayRuntime.get()}, which reads the {@code overlay.*} configuration and
 * starts the node on first use.
 *
 * <p>The provider asks only when a channel first needs the overlay: a connect to an overlay name
 * or handle, or a bind of a server channel to a port number other than 0. A JVM that never does
 * either never starts a node.
 *
 * <p>The runtime is looked up by name so that the channel code does not depend on how it is
 * built; the lookup happens once.
 */
public final class Backends {
    private static final String RUNTIME = "dev.overlay.nio.OverlayRuntime";

    private Backends() {}

    /**
     * The process-wide backend, {@code OverlayRuntime.get()}: started on the first call.
     *
     * @throws IllegalStateException when there is no runtime class or it cannot start; a
     *     configuration error comes through as the runtime throws it (naming the bad key)
     */
    public static OverlayBackend process() {
        Method get = RuntimeHolder.GET;
        try {
            return (OverlayBackend) get.invoke(null);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("overlay: " + RUNTIME + ".get() failed: " + cause, cause);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("overlay: cannot call " + RUNTIME + ".get(): " + e, e);
        }
    }

    private static final class RuntimeHolder {
        static final Method GET = find();

        private static Method find() {
            try {
                return Class.forName(RUNTIME).getMethod("get");
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("overlay: no process-wide runtime (" + RUNTIME
                        + ".get()) on the class path: " + e, e);
            }
        }
    }
}
