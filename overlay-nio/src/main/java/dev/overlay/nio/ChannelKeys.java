package dev.overlay.nio;

import java.nio.channels.SelectableChannel;
import java.util.concurrent.CopyOnWriteArrayList;

/** The keys of one channel, in any number of {@link OverlaySelector}s, and what a channel does to all of them. */
final class ChannelKeys {
    private final CopyOnWriteArrayList<OverlayKey> keys = new CopyOnWriteArrayList<>();

    /**
     * Adds {@code key} on the kernel side ({@code kernel}, the platform channel) or, when
     * {@code kernel} is null, the overlay side. The caller holds the channel's mode lock.
     */
    void attach(OverlayKey key, SelectableChannel kernel) {
        keys.add(key);
        try {
            if (kernel != null) {
                key.bindKernel(kernel);
            } else {
                key.bindOverlay();
            }
        } catch (Throwable e) { // also ClosedChannelException, which bindKernel throws undeclared
            keys.remove(key);
            throw e;
        }
    }

    void detach(OverlayKey key) {
        keys.remove(key);
    }

    /** The channel became an overlay channel: every key leaves its inner selector. Under the mode lock. */
    void toOverlay() {
        for (OverlayKey k : keys) {
            k.toOverlay();
        }
    }

    /** The overlay side's readiness may have changed: every selector re-evaluates this channel. */
    void signal() {
        for (OverlayKey k : keys) {
            k.signal();
        }
    }

    /**
     * Wakes the selectors this channel is registered with if they are blocked, so that they process
     * its cancelled keys (and the inner selector releases the platform channel's descriptor) now.
     */
    void wakeSelectors() {
        for (OverlayKey k : keys) {
            k.wakeSelector();
        }
    }

    /**
     * The channel is closing: cancels its keys now (before {@code AbstractSelectableChannel} would)
     * and wakes their selectors, so that a selector blocked in {@code select()} deregisters them at
     * once and the inner selector closes the platform channel's descriptor.
     */
    void cancelAndWake() {
        for (OverlayKey k : keys) {
            k.cancel();
        }
        wakeSelectors();
    }

    /**
     * Before the platform channel goes blocking: the inner keys of keys cancelled since the last
     * selection are cancelled now. The JDK lets a channel whose keys are all cancelled (though not
     * yet deregistered) go blocking, and servers rely on it ({@code key.cancel();
     * channel.configureBlocking(true)} in the JDK's own HTTP server); the platform channel would
     * otherwise still see a valid inner key and refuse.
     */
    void beforeBlocking() {
        for (OverlayKey k : keys) {
            if (!k.isValid()) {
                k.dropInner();
            }
        }
    }

    boolean isEmpty() {
        return keys.isEmpty();
    }
}
