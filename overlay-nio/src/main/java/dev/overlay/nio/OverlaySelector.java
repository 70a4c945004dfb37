package dev.overlay.nio;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelector;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One {@link java.nio.channels.Selector} for kernel and overlay channels together.
 *
 * <p><b>Kernel channels</b> (the provider's wrappers around platform channels) register their
 * platform channel with an inner platform selector, with the {@link OverlayKey} as attachment;
 * nothing but the wrapper is ever registered here, so a platform channel is in exactly one
 * selector and its descriptor is released when the inner selector deregisters it.
 *
 * <p><b>Overlay channels</b> have no descriptor. Their streams call a readiness listener whenever
 * readability or writability may have changed (from the node's event loop, or from a thread that
 * changed the channel); the channel forwards it to each of its keys, which queue themselves here
 * (once while queued) and wake the inner selector if a thread is blocked in it. The selecting
 * thread keeps the keys it found ready in a level set and asks their channels again on each
 * selection, so readiness is level-triggered as with the kernel: a key stays ready until its
 * channel is drained, and an idle overlay channel costs nothing.
 *
 * <p><b>Selection</b> (one thread at a time, under a {@link ReentrantLock}): process cancelled
 * keys; evaluate queued and level overlay keys; block in the inner selector (not at all when an
 * overlay key is ready, a wake-up is pending or a signal is queued); report inner keys and overlay
 * keys; process keys cancelled meanwhile. A wake-up caused only by the overlay that found nothing
 * ready does not return 0 to the caller: the loop blocks again until the timeout, a
 * {@link #wakeup()}, an interrupt or a ready key.
 *
 * <p>{@link #register} never takes the selection lock, so it never waits for a blocked
 * {@code select()}; nor does {@link SelectionKey#interestOps(int)}, which goes straight to the
 * inner key (the JDK applies it at its next selection) or, for an overlay key that gained
 * operations, queues the key and wakes the selector.
 */
public final class OverlaySelector extends AbstractSelector {
    private final Selector inner;
    private final ReentrantLock selectLock = new ReentrantLock();
    private final Set<OverlayKey> keys = ConcurrentHashMap.newKeySet();
    private final Set<SelectionKey> publicKeys = Collections.unmodifiableSet(keys);
    private final Set<SelectionKey> selected = new HashSet<>();
    private final Set<SelectionKey> publicSelected = new UngrowableSet(selected);
    /** Overlay keys whose readiness may have changed. */
    private final ConcurrentLinkedQueue<OverlayKey> signalled = new ConcurrentLinkedQueue<>();
    /** Kernel registrations waiting for the inner selector to forget a cancelled key. */
    private final ConcurrentLinkedQueue<Deferred> deferred = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /** True while the selecting thread is in (or about to enter) the inner selector. */
    private volatile boolean selecting;

    // ---- the selecting thread's own state (under selectLock)
    /** Overlay keys last seen ready (or just signalled): evaluated on every selection. */
    private final Set<OverlayKey> level = new HashSet<>();
    private final List<OverlayKey> innerReady = new ArrayList<>();
    private final List<OverlayKey> overlayReady = new ArrayList<>();
    private final Consumer<SelectionKey> collectInner = this::collectInner;
    private long selection;
    /** Selections the overlay (or housekeeping) woke that found nothing and blocked again. */
    private volatile long quietWakeups;

    private record Deferred(OverlayKey key, SelectableChannel kernel) {}

    OverlaySelector(OverlaySelectorProvider provider, Selector inner) {
        super(provider);
        this.inner = inner;
    }

    Selector innerSelector() {
        return inner;
    }

    // ------------------------------------------------------------------ registration

    @Override
    protected SelectionKey register(AbstractSelectableChannel ch, int ops, Object att) {
        Registrable r = registrableOf(ch);
        if (r == null || ch.provider() != provider()) {
            throw new IllegalSelectorException();
        }
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
        OverlayKey k = new OverlayKey(this, ch, r, ops);
        k.attach(att);
        keys.add(k);
        try {
            r.attachKey(k);
        } catch (Throwable e) {
            // Typically the platform channel closed before this channel's close cancelled its keys
            // (bindKernel throws ClosedChannelException, undeclared). The channel never adds k:
            // forget it here, or it stays a valid orphan in keys() and its fd in the inner selector.
            abandon(k);
            throw registerFailure(ch, e);
        }
        if (!isOpen()) {
            // closed while registering: the close may have missed this key. The channel has not
            // added k (it does so once this method returns), so it must not be deregistered.
            abandon(k);
            throw new ClosedSelectorException();
        }
        return k;
    }

    /** Forgets a key whose registration failed: the channel never added it. */
    private void abandon(OverlayKey k) {
        keys.remove(k);
        try {
            k.dropInner();
            k.target.detachKey(k);
        } finally {
            k.cancel(); // invalid from now on; processCancelled sees the channel never added it
        }
    }

    /** What {@code register} throws for {@code e}: its own kind if unchecked, ClosedChannelException if the channel closed. */
    private static RuntimeException registerFailure(SelectableChannel ch, Throwable e) {
        if (e instanceof RuntimeException re) {
            throw re;
        }
        if (e instanceof Error err) {
            throw err;
        }
        if (e instanceof ClosedChannelException || !ch.isOpen()) {
            ClosedChannelException cce = e instanceof ClosedChannelException c ? c : new ClosedChannelException();
            if (cce != e) {
                cce.initCause(e);
            }
            throw Sneaky.rethrow(cce); // SelectableChannel.register declares it
        }
        throw new IllegalStateException("registration failed: " + e, e);
    }

    /**
     * Deregisters {@code k} from its channel if the channel holds it. A key whose registration
     * failed, or whose registration is still under way when the selector closes, was never added
     * by the channel, and {@code AbstractSelectableChannel.removeKey} would throw
     * NullPointerException for it. {@code keyFor} takes the channel's key lock, which the
     * registering thread holds from before this selector's {@code register} until the channel
     * added the key, so it waits for an ongoing registration to end.
     */
    private void deregisterIfAdded(OverlayKey k) {
        if (k.channel().keyFor(this) == k) {
            deregister(k);
        }
    }

    /** The provider's channels, each with its registration side; null for any other channel. */
    private static Registrable registrableOf(SelectableChannel ch) {
        if (ch instanceof OverlaySocketChannel c) {
            return c.registrable;
        }
        if (ch instanceof OverlayServerSocketChannel c) {
            return c.registrable;
        }
        if (ch instanceof WrappedDatagramChannel c) {
            return c.registrable;
        }
        if (ch instanceof WrappedPipe.Source c) {
            return c.registrable;
        }
        if (ch instanceof WrappedPipe.Sink c) {
            return c.registrable;
        }
        return null;
    }

    void deferKernelRegistration(OverlayKey k, SelectableChannel kernel) {
        deferred.add(new Deferred(k, kernel));
        wakeForHousekeeping();
    }

    /** An overlay key's channel may have changed readiness (any thread, often the node's event loop). */
    void signal(OverlayKey k) {
        if (k.queued.compareAndSet(false, true)) {
            signalled.add(k);
            if (selecting) {
                inner.wakeup();
            }
        }
    }

    /** Wakes a blocked selection to process cancellations; it goes on blocking afterwards. */
    void wakeForHousekeeping() {
        if (selecting) {
            inner.wakeup();
        }
    }

    // ------------------------------------------------------------------ Selector

    @Override
    public Set<SelectionKey> keys() {
        ensureOpen();
        return publicKeys;
    }

    @Override
    public Set<SelectionKey> selectedKeys() {
        ensureOpen();
        return publicSelected;
    }

    @Override
    public int selectNow() throws IOException {
        return doSelect(null, 0);
    }

    @Override
    public int select(long timeout) throws IOException {
        if (timeout < 0) {
            throw new IllegalArgumentException("Negative timeout");
        }
        return doSelect(null, timeout == 0 ? -1 : timeout);
    }

    @Override
    public int select() throws IOException {
        return doSelect(null, -1);
    }

    @Override
    public int select(Consumer<SelectionKey> action, long timeout) throws IOException {
        Objects.requireNonNull(action, "action");
        if (timeout < 0) {
            throw new IllegalArgumentException("Negative timeout");
        }
        return doSelect(action, timeout == 0 ? -1 : timeout);
    }

    @Override
    public int select(Consumer<SelectionKey> action) throws IOException {
        Objects.requireNonNull(action, "action");
        return doSelect(action, -1);
    }

    @Override
    public int selectNow(Consumer<SelectionKey> action) throws IOException {
        Objects.requireNonNull(action, "action");
        return doSelect(action, 0);
    }

    @Override
    public Selector wakeup() {
        wakeupPending.set(true);
        inner.wakeup();
        return this;
    }

    @Override
    protected void implCloseSelector() throws IOException {
        wakeup();
        selectLock.lock();
        try {
            Throwable failure = null;
            for (OverlayKey k : keys) {
                failure = forget(k, failure);
            }
            keys.clear();
            selected.clear();
            level.clear();
            signalled.clear();
            deferred.clear();
            Set<SelectionKey> cancelled = cancelledKeys();
            synchronized (cancelled) { // AbstractSelector's contract for this set
                cancelled.clear();
            }
            rethrow(failure);
        } finally {
            try {
                inner.close();
            } finally {
                selectLock.unlock();
            }
        }
    }

    private void ensureOpen() {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
    }

    // ------------------------------------------------------------------ selection

    /**
     * @param timeoutMillis 0: do not block; -1: block until something is ready, a wake-up or an
     *     interrupt; otherwise at most that long
     */
    private int doSelect(Consumer<SelectionKey> action, long timeoutMillis) throws IOException {
        selectLock.lock();
        try {
            ensureOpen();
            if (timeoutMillis == 0) {
                wakeupPending.set(false); // selectNow() clears a pending wake-up
            }
            long deadline = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000L : 0;
            while (true) {
                selection++;
                processCancelled();
                processDeferred();
                drainSignals();
                overlayReady.clear();
                evaluateOverlay();
                innerReady.clear();
                selecting = true;
                try {
                    // Checked after selecting is set: a key cancelled (or a registration deferred,
                    // a signal queued) after processCancelled() above and before that write found
                    // selecting false and woke nobody, so it must be seen here or wait for the next
                    // selection. The canceller adds the key before it reads selecting.
                    boolean now = timeoutMillis == 0 || !overlayReady.isEmpty() || wakeupPending.get()
                            || !signalled.isEmpty() || !deferred.isEmpty() || hasCancelled();
                    if (now) {
                        inner.selectNow(collectInner);
                    } else if (timeoutMillis < 0) {
                        inner.select(collectInner);
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            inner.selectNow(collectInner);
                        } else {
                            inner.select(collectInner, Math.max(1, (left + 999_999) / 1_000_000));
                        }
                    }
                } finally {
                    selecting = false;
                }
                int n = 0;
                for (OverlayKey k : innerReady) {
                    n += report(k, k.foundOps, action);
                }
                if (drainSignals() || !overlayReady.isEmpty()) {
                    overlayReady.clear();
                    evaluateOverlay();
                }
                for (OverlayKey k : overlayReady) {
                    n += report(k, k.foundOps, action);
                }
                if (processCancelled()) {
                    inner.selectNow(ignore -> { }); // the inner selector forgets them now, as the JDK's does
                }
                if (n > 0 || timeoutMillis == 0 || !innerReady.isEmpty() || !overlayReady.isEmpty()) {
                    // Something was ready (perhaps only keys already selected, counted 0 as the JDK does).
                    return n;
                }
                if (wakeupPending.getAndSet(false) || Thread.currentThread().isInterrupted() || !isOpen()) {
                    return 0;
                }
                if (timeoutMillis > 0 && System.nanoTime() - deadline >= 0) {
                    return 0;
                }
                // Woken by the overlay (or for housekeeping) with nothing ready: block again.
                quietWakeups++;
            }
        } finally {
            // Every selection consumes a pending wake-up, whatever it returns (as the JDK's do):
            // otherwise a wakeup() followed by a selection that found a key ready would make the
            // next selection return 0 at once.
            wakeupPending.set(false);
            selectLock.unlock();
        }
    }

    private void collectInner(SelectionKey ik) {
        if (ik.attachment() instanceof OverlayKey k && k.inner() == ik) {
            int ops = ik.readyOps() & k.interestNow();
            if (ops != 0) {
                k.foundOps = ops;
                innerReady.add(k);
            }
        }
    }

    /** Moves queued overlay keys into the level set; true if there were any. */
    private boolean drainSignals() {
        boolean any = false;
        OverlayKey k;
        while ((k = signalled.poll()) != null) {
            k.queued.set(false); // a signal from now on queues it again
            any = true;
            if (k.isValid() && k.isOverlay()) {
                level.add(k);
            }
        }
        return any;
    }

    /** Asks each overlay key in the level set what its channel is ready for; keeps the ready ones. */
    private void evaluateOverlay() {
        for (Iterator<OverlayKey> it = level.iterator(); it.hasNext(); ) {
            OverlayKey k = it.next();
            int interest = k.interestNow();
            if (!k.isValid() || !k.isOverlay() || interest == 0) {
                it.remove();
                continue;
            }
            int ops = k.target.overlayReadyOps(interest) & interest;
            if (ops == 0) {
                it.remove(); // its next readiness change signals it again
            } else {
                k.foundOps = ops;
                overlayReady.add(k);
            }
        }
    }

    /** Adds {@code k} to the selected-key set (or hands it to {@code action}); 1 if that updated it. */
    private int report(OverlayKey k, int ops, Consumer<SelectionKey> action) {
        if (!k.isValid()) {
            return 0;
        }
        if (action != null) {
            if (k.reportedIn == selection) {
                return 0; // one key, one call per selection
            }
            k.reportedIn = selection;
            k.setReady(ops);
            action.accept(k);
            ensureOpen(); // the action may close the selector
            return 1;
        }
        if (selected.add(k)) {
            k.setReady(ops);
            return 1;
        }
        int old = k.readyNow();
        if ((old | ops) != old) {
            k.setReady(old | ops);
            return 1;
        }
        return 0;
    }

    /** Keys cancelled and not yet deregistered (any thread may add one). */
    private boolean hasCancelled() {
        Set<SelectionKey> cancelled = cancelledKeys();
        synchronized (cancelled) {
            return !cancelled.isEmpty();
        }
    }

    /** Deregisters the keys cancelled since the last call; true if there were any. */
    private boolean processCancelled() {
        Set<SelectionKey> cancelled = cancelledKeys();
        List<SelectionKey> copy;
        synchronized (cancelled) { // AbstractSelector's contract for this set; never held long
            if (cancelled.isEmpty()) {
                return false;
            }
            copy = new ArrayList<>(cancelled);
            cancelled.clear();
        }
        Throwable failure = null;
        for (SelectionKey sk : copy) {
            OverlayKey k = (OverlayKey) sk;
            keys.remove(k);
            selected.remove(k);
            level.remove(k);
            failure = forget(k, failure);
        }
        rethrow(failure);
        return true;
    }

    /**
     * Drops {@code k}'s inner key, detaches it from its channel and deregisters it, each step
     * whatever the others did, so that one key cannot stop a batch; returns the first failure.
     */
    private Throwable forget(OverlayKey k, Throwable failure) {
        try {
            try {
                k.dropInner();
            } finally {
                try {
                    k.target.detachKey(k);
                } finally {
                    deregisterIfAdded(k);
                }
            }
        } catch (Throwable e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
        }
        return failure;
    }

    private static void rethrow(Throwable failure) {
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    private void processDeferred() throws IOException {
        if (deferred.isEmpty()) {
            return;
        }
        inner.selectNow(ignore -> { }); // forget cancelled inner keys (level-triggered: nothing is lost)
        Deferred d;
        while ((d = deferred.poll()) != null) {
            if (d.key().isValid() && keys.contains(d.key())) {
                try {
                    d.key().bindKernel(d.kernel());
                } catch (Exception e) { // ClosedChannelException (undeclared) or a runtime one
                    d.key().cancel(); // its platform channel was closed meanwhile
                }
            }
        }
    }

    /** For tests and diagnostics: how often a blocked selection woke, found nothing ready, and blocked again. */
    long quietWakeups() {
        return quietWakeups;
    }

    @Override
    public String toString() {
        return "OverlaySelector[" + (isOpen() ? keys.size() + " keys" : "closed") + "]";
    }

    /** The selected-key set as the JDK hands it out: removal allowed, addition not. */
    private static final class UngrowableSet extends AbstractSet<SelectionKey> {
        private final Set<SelectionKey> set;

        UngrowableSet(Set<SelectionKey> set) {
            this.set = set;
        }

        @Override
        public Iterator<SelectionKey> iterator() {
            return set.iterator();
        }

        @Override
        public int size() {
            return set.size();
        }

        @Override
        public boolean contains(Object o) {
            return set.contains(o);
        }

        @Override
        public boolean remove(Object o) {
            return set.remove(o);
        }

        @Override
        public void clear() {
            set.clear();
        }

        @Override
        public boolean isEmpty() {
            return set.isEmpty();
        }

        @Override
        public boolean add(SelectionKey k) {
            throw new UnsupportedOperationException();
        }
    }
}
