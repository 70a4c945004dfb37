package dev.overlay.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Impairs datagrams on purpose, deterministically from a seed (as smoltcp's {@code FaultInjector}):
 * bursty loss, duplication, bit corruption, base delay with jitter (which also reorders).
 *
 * <p>Loss comes in bursts: with probability {@code lossRate / burstLength} a datagram starts a burst
 * that drops it and the next {@code burstLength - 1}, so the long-run loss rate is about
 * {@code lossRate}.
 */
public final class FaultInjector {
    private final Random random;
    private double lossRate;
    private int burstLength = 1;
    private double duplicateRate;
    private double corruptRate;
    private long delayNanos;
    private long jitterNanos;
    private boolean blackhole;
    private int mtu = Integer.MAX_VALUE;
    private long tooBig;
    private int burstLeft;
    private long dropped;
    private long corrupted;

    public FaultInjector(long seed) {
        this.random = new Random(seed);
    }

    public FaultInjector loss(double rate, int burst) {
        this.lossRate = rate;
        this.burstLength = burst;
        return this;
    }

    public FaultInjector duplicate(double rate) {
        this.duplicateRate = rate;
        return this;
    }

    public FaultInjector corrupt(double rate) {
        this.corruptRate = rate;
        return this;
    }

    /** Each datagram takes {@code delay} plus a uniform random extra up to {@code jitter}. */
    public FaultInjector delay(long delayNanos, long jitterNanos) {
        this.delayNanos = delayNanos;
        this.jitterNanos = jitterNanos;
        return this;
    }

    /** Datagrams larger than {@code bytes} (UDP payload) are dropped, as on a path with DF set. */
    public FaultInjector mtu(int bytes) {
        this.mtu = bytes;
        return this;
    }

    public long tooBig() {
        return tooBig;
    }

    /** While on, every datagram is lost. */
    public FaultInjector blackhole(boolean on) {
        this.blackhole = on;
        return this;
    }

    public long dropped() {
        return dropped;
    }

    public long corrupted() {
        return corrupted;
    }

    /** A datagram to deliver after {@code delayNanos}. */
    public record Delivery(byte[] bytes, long delayNanos) {}

    /** What becomes of one datagram: nothing, one copy, or two; possibly altered. */
    public List<Delivery> apply(byte[] datagram) {
        List<Delivery> out = new ArrayList<>(2);
        if (datagram.length > mtu) {
            tooBig++;
            return out;
        }
        if (blackhole || lost()) {
            dropped++;
            return out;
        }
        out.add(new Delivery(maybeCorrupt(datagram), nextDelay()));
        if (duplicateRate > 0 && random.nextDouble() < duplicateRate) {
            out.add(new Delivery(maybeCorrupt(datagram), nextDelay()));
        }
        return out;
    }

    private boolean lost() {
        if (burstLeft > 0) {
            burstLeft--;
            return true;
        }
        if (lossRate > 0 && random.nextDouble() < lossRate / burstLength) {
            burstLeft = burstLength - 1;
            return true;
        }
        return false;
    }

    private byte[] maybeCorrupt(byte[] datagram) {
        byte[] copy = datagram.clone();
        if (corruptRate > 0 && copy.length > 0 && random.nextDouble() < corruptRate) {
            int bit = random.nextInt(copy.length * 8);
            copy[bit / 8] ^= (byte) (1 << (bit % 8));
            corrupted++;
        }
        return copy;
    }

    private long nextDelay() {
        return delayNanos + (jitterNanos == 0 ? 0 : (long) (random.nextDouble() * jitterNanos));
    }
}
