package dev.overlay.stream;

/** Runs application callbacks from the event loop so that a buggy one cannot take the loop down. */
final class Callbacks {
    private static final System.Logger LOG = System.getLogger("dev.overlay.stream");

    private Callbacks() {}

    /** Runs {@code callback} if set; anything it throws is logged with {@code what} and dropped. */
    static void run(Runnable callback, Object what) {
        if (callback == null) {
            return;
        }
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "readiness listener of " + what + " threw; ignored", e);
        }
    }
}
