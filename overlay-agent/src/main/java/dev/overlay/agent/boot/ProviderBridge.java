package dev.overlay.agent.boot;

import java.nio.channels.spi.SelectorProvider;

/**
 * Loaded by the boot class loader (the agent appends a jar holding only this class to the boot
 * class path): the patched {@link SelectorProvider#provider()} in {@code java.base} calls
 * {@link #provider(SelectorProvider)}, and code in {@code java.base} can only link to boot
 * classes. It refers to nothing but {@code java.base}.
 */
public final class ProviderBridge {
    private static volatile SelectorProvider overlay;

    private ProviderBridge() {}

    /** What {@code SelectorProvider.provider()} returns once patched: the overlay provider if set, else the JDK's. */
    public static SelectorProvider provider(SelectorProvider jdks) {
        SelectorProvider p = overlay;
        return p != null ? p : jdks;
    }

    /** Sets the provider {@link #provider(SelectorProvider)} returns (null: the JDK's again). */
    public static void set(SelectorProvider provider) {
        overlay = provider;
    }

    /** The provider set, or null. */
    public static SelectorProvider get() {
        return overlay;
    }
}
