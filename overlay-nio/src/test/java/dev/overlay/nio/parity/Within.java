package dev.overlay.nio.parity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Deadlines for everything that may block: blocking steps run on daemon workers and are waited for
 * at most a given time; a step that overruns fails the test with the stack it is stuck at (and is
 * interrupted, which closes a channel it is blocked on). Also the resources a test opened, closed
 * after it in reverse order.
 */
final class Within implements AutoCloseable {
    /** Any single step that should be quick (connect, accept, a few bytes) on a loaded 2-core machine. */
    static final Duration STEP = Duration.ofSeconds(15);
    /** Bulk transfers. */
    static final Duration BULK = Duration.ofSeconds(90);

    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "parity-worker");
        t.setDaemon(true);
        return t;
    });
    private final List<AutoCloseable> resources = new ArrayList<>();

    /** A step running on a worker. */
    final class Task<T> {
        private final Future<T> future;
        private final AtomicReference<Thread> runner;
        private final String what;

        private Task(Future<T> future, AtomicReference<Thread> runner, String what) {
            this.future = future;
            this.runner = runner;
            this.what = what;
        }

        /** The worker thread (null until the task started). */
        Thread thread() {
            return runner.get();
        }

        boolean isDone() {
            return future.isDone();
        }

        /** The task's result or exception; an AssertionError with the worker's stack after {@code limit}. */
        T get(Duration limit) throws Exception {
            try {
                return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                String stack = stackOf(runner.get());
                future.cancel(true);
                throw new AssertionError(what + " did not finish within " + limit.toMillis() + " ms; stuck at:\n" + stack);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof Exception ex) {
                    throw ex;
                }
                if (c instanceof Error err) {
                    throw err;
                }
                throw e;
            }
        }

        /** What the task threw (null when it returned), waiting at most {@code limit}. */
        Throwable failure(Duration limit) throws Exception {
            try {
                get(limit);
                return null;
            } catch (AssertionError e) {
                if (e.getMessage() != null && e.getMessage().startsWith(what + " did not finish")) {
                    throw e;
                }
                return e;
            } catch (Exception e) {
                return e;
            }
        }
    }

    <T> Task<T> start(String what, Callable<T> body) {
        AtomicReference<Thread> runner = new AtomicReference<>();
        Future<T> f = pool.submit(() -> {
            runner.set(Thread.currentThread());
            Thread.currentThread().setName("parity: " + what);
            try {
                return body.call();
            } finally {
                Thread.interrupted(); // a pooled thread must not keep a test's interrupt
            }
        });
        return new Task<>(f, runner, what);
    }

    /** Runs {@code body} on a worker and waits at most {@code limit}. */
    <T> T call(Duration limit, String what, Callable<T> body) throws Exception {
        return start(what, body).get(limit);
    }

    /** Closes {@code resource} after the test (resources close in reverse order). */
    <C extends AutoCloseable> C closeLater(C resource) {
        resources.add(resource);
        return resource;
    }

    static String stackOf(Thread t) {
        if (t == null) {
            return "  (never started)";
        }
        return t.getState() + "\n" + Arrays.stream(t.getStackTrace()).limit(30)
                .map(f -> "  at " + f).collect(Collectors.joining("\n"));
    }

    /**
     * Waits (at most {@code STEP}) until {@code task}'s thread is blocked inside the channel or
     * selector code under test: parked or waiting in the overlay's code or the JDK's {@code sun.nio.ch},
     * or in one of {@code sun.nio.ch}'s native calls (poll, epoll, read, write, accept). Returns
     * whether it was seen blocked. It makes "the thread is already blocked when X happens" the likely
     * scenario; cases whose assertion depends on it say so.
     */
    static boolean awaitBlocked(Task<?> task) {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (System.nanoTime() - deadline < 0) {
            Thread t = task.thread();
            if (task.isDone()) {
                return false;
            }
            if (t != null && isBlocked(t)) {
                return true;
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        return false;
    }

    /**
     * Blocked in the code under test. Any other native frame does not count: a worker that is still
     * naming itself ({@code Thread.setNativeName}) or loading a class is in a native method too, and
     * taking that for "blocked" let a test close the channel before the call it meant to interrupt
     * had even started.
     */
    static boolean isBlocked(Thread t) {
        Thread.State st = t.getState();
        StackTraceElement[] stack = t.getStackTrace();
        if (stack.length == 0) {
            return false;
        }
        if (st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING || st == Thread.State.BLOCKED) {
            return Arrays.stream(stack).anyMatch(f -> isCodeUnderTest(f.getClassName()));
        }
        StackTraceElement top = stack[0];
        return st == Thread.State.RUNNABLE && top.isNativeMethod() && top.getClassName().startsWith("sun.nio.ch.");
    }

    private static boolean isCodeUnderTest(String className) {
        return className.startsWith("sun.nio.ch.")
                || (className.startsWith("dev.overlay.") && !className.startsWith("dev.overlay.nio.parity."));
    }

    /**
     * Selects until {@code key} is in the selected-key set with {@code ops} ready, at most
     * {@code limit}; the key is removed from the set. Fails with what was seen otherwise.
     */
    static void selectUntil(Selector selector, SelectionKey key, int ops, Duration limit) throws IOException {
        selectUntil(selector, limit, keys -> keys.stream().anyMatch(k -> k == key && (k.readyOps() & ops) == ops));
        selector.selectedKeys().remove(key);
    }

    /**
     * Selects (in steps of at most 100 ms, bounded by {@code limit}) until {@code done} holds for
     * the selected-key set, which is not cleared in between.
     */
    static void selectUntil(Selector selector, Duration limit, Predicate<java.util.Set<SelectionKey>> done)
            throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.test(selector.selectedKeys())) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("selector did not get there within " + limit.toMillis() + " ms; selected: "
                        + describe(selector.selectedKeys()) + "; registered: " + describe(selector.keys()));
            }
            selector.select(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
        }
    }

    static String describe(java.util.Set<SelectionKey> keys) {
        return keys.stream().map(k -> k.isValid()
                        ? k.channel().getClass().getSimpleName() + "{interest=" + k.interestOps() + ", ready=" + k.readyOps() + "}"
                        : "cancelled key")
                .collect(Collectors.joining(", ", "[", "]"));
    }

    /** Reads exactly {@code n} bytes from a blocking channel (at most {@code n} reads). */
    static byte[] readExactly(ReadableByteChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        for (int i = 0; i < n && b.hasRemaining(); i++) {
            if (ch.read(b) < 0) {
                throw new java.io.EOFException("stream ended after " + b.position() + " of " + n + " bytes");
            }
        }
        if (b.hasRemaining()) {
            throw new AssertionError("read returned 0 on a blocking channel");
        }
        return b.array();
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception ignored) {
                // best effort: the test has its verdict
            }
        }
        resources.clear();
        pool.shutdownNow();
    }
}
