package dev.overlay.nio;

/** Rethrows a checked exception where the signature cannot declare it but the caller's contract does. */
final class Sneaky {
    private Sneaky() {}

    @SuppressWarnings("unchecked")
    static <T extends Throwable> RuntimeException rethrow(Throwable t) throws T {
        throw (T) t;
    }
}
