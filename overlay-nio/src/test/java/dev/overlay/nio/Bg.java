package dev.overlay.nio;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** A call on its own thread, and the waiting helpers the tests use instead of sleeping. */
final class Bg<T> {
    static final Duration STEP = Duration.ofSeconds(10);

    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final Thread thread;

    private Bg(String name, Callable<T> call) {
        thread = new Thread(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, name);
        thread.setDaemon(true);
    }

    static <T> Bg<T> start(String name, Callable<T> call) {
        Bg<T> b = new Bg<>(name, call);
        b.thread.start();
        return b;
    }

    Thread thread() {
        return thread;
    }

    boolean isDone() {
        return result.isDone();
    }

    T get() throws Exception {
        try {
            return result.get(STEP.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError(thread.getName() + " did not finish within " + STEP
                    + "; it is at " + Arrays.toString(thread.getStackTrace()));
        }
    }

    /** What the call threw (null if it returned), within {@link #STEP}. */
    Throwable failure() throws InterruptedException {
        try {
            result.get(STEP.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError(thread.getName() + " did not finish within " + STEP
                    + "; it is at " + Arrays.toString(thread.getStackTrace()));
        }
    }

    /** Waits until the thread is blocked inside the code under test (parked or in a native wait). */
    Bg<T> awaitBlocked() {
        until(() -> {
            if (result.isDone()) {
                throw new AssertionError(thread.getName() + " finished instead of blocking: " + result);
            }
            return blocked(thread);
        }, thread.getName() + " blocked");
        return this;
    }

    /**
     * Blocked in the code under test: waiting on a condition (not on a lock) in a channel or
     * selector of this package, or in one of the platform's blocking native calls.
     */
    private static boolean blocked(Thread t) {
        Thread.State st = t.getState();
        StackTraceElement[] stack = t.getStackTrace();
        if (stack.length == 0) {
            return false;
        }
        if (st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING) {
            boolean onCondition = Arrays.stream(stack).anyMatch(f -> f.getClassName().endsWith("$ConditionObject"));
            boolean inChannels = Arrays.stream(stack).anyMatch(f -> f.getClassName().startsWith("dev.overlay.nio.Overlay"));
            return onCondition && inChannels;
        }
        StackTraceElement top = stack[0];
        String m = top.getMethodName().toLowerCase(java.util.Locale.ROOT);
        return st == Thread.State.RUNNABLE && top.isNativeMethod() && top.getClassName().startsWith("sun.nio.ch.")
                && (m.contains("read") || m.contains("write") || m.contains("accept") || m.contains("poll")
                || m.contains("wait") || m.contains("connect"));
    }

    /** Waits (parking 1 ms at a time) until {@code condition} holds, at most {@link #STEP}. */
    static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + STEP + ": " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }
}
