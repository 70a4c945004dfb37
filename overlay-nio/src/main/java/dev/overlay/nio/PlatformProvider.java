package dev.overlay.nio;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.channels.spi.SelectorProvider;
import java.util.Locale;

/**
 * Finds the platform's own {@link SelectorProvider} (epoll on Linux, kqueue on macOS, the Windows
 * selector on Windows) without {@link SelectorProvider#provider()}, which returns the overlay
 * provider itself once it is installed (and {@code null} while it is being installed: the JDK
 * caches it in a holder class whose initializer is what constructs us).
 *
 * <p>In order:
 * <ol>
 *   <li>When {@code java.base} exports {@code sun.nio.ch} to this code ({@code --add-exports
 *       java.base/sun.nio.ch=ALL-UNNAMED}, or an agent's {@code redefineModule}):
 *       {@code sun.nio.ch.DefaultSelectorProvider.get()}, the JDK's own singleton.
 *   <li>When the JVM-wide provider is not an overlay provider (the overlay provider was created
 *       with {@code new}, as in tests and in the parity suite): that provider.
 *   <li>Otherwise a new instance of the platform's provider class, created through
 *       {@code sun.reflect.ReflectionFactory.newConstructorForSerialization} (the supported
 *       {@code jdk.unsupported} module; it makes the class's own no-argument constructor
 *       accessible without opening {@code java.base}, and prints no warning on JDK 17 or 25).
 *       The provider classes keep no state of their own, so a second instance behaves as the
 *       singleton does; its channels and selectors only refuse to mix with the singleton's, which
 *       nothing outside the JDK's {@code DatagramSocket} ever gets.
 * </ol>
 */
final class PlatformProvider {
    private PlatformProvider() {}

    /** Computed once, on first use. */
    private static final class Holder {
        static final SelectorProvider INSTANCE = find();
    }

    static SelectorProvider get() {
        return Holder.INSTANCE;
    }

    private static SelectorProvider find() {
        Throwable exported = null;
        Module base = Object.class.getModule();
        if (base.isExported("sun.nio.ch", PlatformProvider.class.getModule())) {
            try {
                Class<?> c = Class.forName("sun.nio.ch.DefaultSelectorProvider");
                return (SelectorProvider) c.getMethod("get").invoke(null);
            } catch (ReflectiveOperationException | RuntimeException e) {
                exported = e;
            }
        }
        // Not installed as the JVM-wide provider: whatever is (null while it is being installed).
        SelectorProvider jvmWide = SelectorProvider.provider();
        if (jvmWide != null && !(jvmWide instanceof OverlaySelectorProvider)) {
            return jvmWide;
        }
        try {
            return newPlatformInstance();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            IllegalStateException fail = new IllegalStateException(
                    "overlay: cannot find the platform's SelectorProvider (" + e
                            + "); run with --add-exports java.base/sun.nio.ch=ALL-UNNAMED", e);
            if (exported != null) {
                fail.addSuppressed(exported);
            }
            throw fail;
        }
    }

    private static SelectorProvider newPlatformInstance() throws ReflectiveOperationException {
        Class<?> c = Class.forName(platformClassName(), false, null);
        if (!SelectorProvider.class.isAssignableFrom(c)) {
            throw new ClassCastException(c.getName() + " is no SelectorProvider");
        }
        Constructor<?> own = c.getDeclaredConstructor();
        Class<?> factoryClass = Class.forName("sun.reflect.ReflectionFactory");
        Object factory = factoryClass.getMethod("getReflectionFactory").invoke(null);
        Method m = factoryClass.getMethod("newConstructorForSerialization", Class.class, Constructor.class);
        Constructor<?> accessible = (Constructor<?>) m.invoke(factory, c, own);
        return (SelectorProvider) accessible.newInstance();
    }

    /** The class {@code sun.nio.ch.DefaultSelectorProvider} instantiates on this operating system. */
    static String platformClassName() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            return "sun.nio.ch.EPollSelectorProvider";
        }
        if (os.startsWith("mac") || os.contains("bsd")) {
            return "sun.nio.ch.KQueueSelectorProvider";
        }
        if (os.startsWith("windows")) {
            return "sun.nio.ch.WindowsSelectorProvider";
        }
        return "sun.nio.ch.PollSelectorProvider";
    }
}
