package dev.overlay.nio;

/**
 * A channel of the overlay provider, as {@link OverlaySelector} sees it: each is either kernel
 * (its platform channel is registered with the selector's inner platform selector) or overlay
 * (its readiness is computed here and signalled by the overlay), and a kernel one may become an
 * overlay one once, while registered (a socket channel connecting to an overlay address, a server
 * channel binding to a served port).
 */
interface Registrable {
    /**
     * Attaches a new key: to the kernel side (registers the platform channel with the key's inner
     * selector) or to the overlay side, under the lock that orders it with a switch to the overlay.
     *
     * @throws java.nio.channels.ClosedChannelException (undeclared) when the platform channel is closed
     */
    void attachKey(OverlayKey key);

    /** Forgets a key the selector deregistered. */
    void detachKey(OverlayKey key);

    /**
     * The operations among {@code interest} this overlay channel is ready for now: a read, write,
     * accept or finishConnect would not block. Never blocks and never throws; 0 for a kernel channel.
     */
    int overlayReadyOps(int interest);
}
