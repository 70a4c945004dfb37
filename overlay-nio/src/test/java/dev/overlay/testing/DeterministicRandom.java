package dev.overlay.testing;

import java.security.SecureRandom;
import java.util.Random;

/**
 * A {@link SecureRandom} that is not secure at all: every value comes from a seeded
 * {@link Random}, so keys, indices and jitter repeat exactly from run to run. Tests only.
 */
public final class DeterministicRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final Random random;

    public DeterministicRandom(long seed) {
        super(new byte[0]);
        this.random = new Random(seed);
    }

    @Override
    public void nextBytes(byte[] bytes) {
        random.nextBytes(bytes);
    }

    @Override
    public byte[] generateSeed(int numBytes) {
        byte[] b = new byte[numBytes];
        random.nextBytes(b);
        return b;
    }
}
