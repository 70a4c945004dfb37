package dev.overlay.nio;

import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectionKey;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A key of {@link OverlaySelector}. While its channel is kernel it carries an inner key: the
 * platform channel registered with the selector's inner platform selector, with this key as the
 * attachment. Once the channel is overlay it has none, and the overlay's readiness callbacks queue
 * it for the selector to look at ({@link #signal()}).
 */
final class OverlayKey extends AbstractSelectionKey {
    private final OverlaySelector selector;
    private final SelectableChannel channel;
    final Registrable target;
    private final AtomicInteger interest;
    /** Written by the selecting thread only. */
    private volatile int ready;
    /** The key in the inner selector while the channel is kernel; null otherwise. */
    private volatile SelectionKey inner;
    private volatile boolean overlay;
    /** True while this key waits in the selector's signal queue. */
    final AtomicBoolean queued = new AtomicBoolean();

    // ---- used by the selecting thread only
    /** Ready operations found for this key in the current selection operation. */
    int foundOps;
    /** The selection operation that last reported this key. */
    long reportedIn;

    OverlayKey(OverlaySelector selector, SelectableChannel channel, Registrable target, int ops) {
        this.selector = selector;
        this.channel = channel;
        this.target = target;
        this.interest = new AtomicInteger(ops);
    }

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    @Override
    public Selector selector() {
        return selector;
    }

    @Override
    public int interestOps() {
        ensureValid();
        return interest.get();
    }

    @Override
    public SelectionKey interestOps(int ops) {
        ensureValid();
        checkOps(ops);
        int old = interest.getAndSet(ops);
        apply(old, ops);
        return this;
    }

    @Override
    public int interestOpsOr(int ops) {
        ensureValid();
        checkOps(ops);
        int old = interest.getAndUpdate(v -> v | ops);
        apply(old, old | ops);
        return old;
    }

    @Override
    public int interestOpsAnd(int ops) {
        ensureValid();
        int old = interest.getAndUpdate(v -> v & ops);
        apply(old, old & ops);
        return old;
    }

    @Override
    public int readyOps() {
        ensureValid();
        return ready;
    }

    private void ensureValid() {
        if (!isValid()) {
            throw new CancelledKeyException();
        }
    }

    private void checkOps(int ops) {
        if ((ops & ~channel.validOps()) != 0) {
            throw new IllegalArgumentException("Invalid interest ops: " + ops);
        }
    }

    /** Test seam: runs between the update of the interest set and its write to the inner key. */
    volatile Runnable beforeInnerWrite;

    private void apply(int old, int ops) {
        Runnable hook = beforeInnerWrite;
        if (hook != null) {
            hook.run();
        }
        SelectionKey ik = inner;
        if (ik != null) {
            syncInner(ik);
        }
        if (overlay && (ops & ~old) != 0) {
            selector.signal(this); // newly interesting: the channel may be ready already
        }
    }

    /** The interest set without the validity check (the selecting thread, cancellation races). */
    int interestNow() {
        return interest.get();
    }

    void setReady(int ops) {
        ready = ops;
    }

    int readyNow() {
        return ready;
    }

    boolean isOverlay() {
        return overlay;
    }

    SelectionKey inner() {
        return inner;
    }

    OverlaySelector overlaySelector() {
        return selector;
    }

    // ------------------------------------------------------------------ kernel and overlay sides

    /** Registers {@code kernel}, the platform channel, with the inner selector (called under the channel's mode lock). */
    void bindKernel(SelectableChannel kernel) {
        int ops = interest.get();
        SelectionKey ik;
        try {
            ik = kernel.register(selector.innerSelector(), ops, this);
        } catch (CancelledKeyException e) {
            // The inner selector still holds this platform channel's previous, cancelled key
            // until its next selection: the selecting thread registers it after flushing that.
            selector.deferKernelRegistration(this, kernel);
            return;
        } catch (ClosedChannelException e) {
            throw Sneaky.rethrow(e);
        }
        inner = ik;
        if (interest.get() != ops) {
            syncInner(ik); // interest changed while registering
        }
    }

    /**
     * Copies the interest set to the inner key until it stays put. The atomic update of
     * {@code interest} and the write to the inner key are separate steps, so two threads
     * changing the interest at once could otherwise leave the inner key with the older set
     * (A sets READ, B ORs in WRITE, A's inner write lands last: OP_WRITE never reported). The
     * last thread to write the inner key sees afterwards that {@code interest} still equals what
     * it wrote; any later change to {@code interest} is followed by its own write.
     */
    private void syncInner(SelectionKey ik) {
        try {
            int v;
            do {
                v = interest.get();
                ik.interestOps(v);
            } while (interest.get() != v);
        } catch (CancelledKeyException e) {
            // the channel just became overlay or closed; the overlay side reads `interest`
        }
    }

    void bindOverlay() {
        overlay = true;
        if (interest.get() != 0) {
            selector.signal(this);
        }
    }

    /** The channel is now an overlay channel: leave the inner selector (called under the channel's mode lock). */
    void toOverlay() {
        overlay = true;
        SelectionKey ik = inner;
        inner = null;
        if (ik != null) {
            ik.cancel();
        }
        selector.signal(this);
    }

    /** Cancels the inner key, if any: the key was deregistered. */
    void dropInner() {
        SelectionKey ik = inner;
        inner = null;
        if (ik != null) {
            ik.cancel();
        }
    }

    /** Queues this overlay key for the selector to evaluate (readiness may have changed). */
    void signal() {
        if (overlay && isValid()) {
            selector.signal(this);
        }
    }

    void wakeSelector() {
        selector.wakeForHousekeeping();
    }

    @Override
    public String toString() {
        return "OverlayKey[" + channel + (overlay ? ", overlay" : ", kernel")
                + (isValid() ? ", interest=" + interest.get() + ", ready=" + ready : ", cancelled") + "]";
    }
}
