package dev.overlay.rendezvous;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Token buckets per source: each source may spend {@code rate} units per second, saving up at most
 * {@code burst}. A source first seen starts with a full bucket.
 *
 * <p>A source is an IPv4 address, or an IPv6 /64 (one host commonly holds a whole /64, so limiting
 * single IPv6 addresses would limit nothing). At most {@code maxSources} buckets are kept; the one
 * used least recently is forgotten to make room, so memory stays bounded whatever the number of
 * senders (a forgotten source starts again with a full bucket).
 *
 * <p>Clock-free and single-threaded; {@code now} in nanoseconds.
 */
public final class SourceLimiter {
    public static final int DEFAULT_MAX_SOURCES = 16_384;

    private static final double NANOS_PER_SECOND = 1e9;

    /** IPv4: family 4 and the address; IPv6: family 6 and the top 64 bits. */
    private record Source(int family, long bits) {
        static Source of(InetAddress address) {
            byte[] b = address.getAddress();
            if (address instanceof Inet4Address) {
                return new Source(4, ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL));
            }
            if (isV4Mapped(b)) {
                return new Source(4, ((b[12] & 0xffL) << 24) | ((b[13] & 0xffL) << 16) | ((b[14] & 0xffL) << 8) | (b[15] & 0xffL));
            }
            long hi = 0;
            for (int i = 0; i < 8; i++) {
                hi = (hi << 8) | (b[i] & 0xffL);
            }
            return new Source(6, hi);
        }

        private static boolean isV4Mapped(byte[] b) {
            for (int i = 0; i < 10; i++) {
                if (b[i] != 0) {
                    return false;
                }
            }
            return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        }
    }

    private static final class Bucket {
        double tokens;
        long last;

        Bucket(double tokens, long last) {
            this.tokens = tokens;
            this.last = last;
        }
    }

    private final double ratePerNano;
    private final double burst;
    private final int maxSources;
    private final LinkedHashMap<Source, Bucket> buckets;
    private long evicted;

    public SourceLimiter(double ratePerSecond, double burst) {
        this(ratePerSecond, burst, DEFAULT_MAX_SOURCES);
    }

    /**
     * @param ratePerSecond units a source regains per second (0: never refills)
     * @param burst the most a source can save up, and what a new source starts with
     * @param maxSources sources remembered at once
     */
    public SourceLimiter(double ratePerSecond, double burst, int maxSources) {
        if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("rate must be a finite number >= 0, got " + ratePerSecond);
        }
        if (!(burst > 0) || Double.isInfinite(burst)) {
            throw new IllegalArgumentException("burst must be a finite number > 0, got " + burst);
        }
        if (maxSources < 1) {
            throw new IllegalArgumentException("maxSources must be at least 1, got " + maxSources);
        }
        this.ratePerNano = ratePerSecond / NANOS_PER_SECOND;
        this.burst = burst;
        this.maxSources = maxSources;
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Source, Bucket> eldest) {
                if (size() > SourceLimiter.this.maxSources) {
                    evicted++;
                    return true;
                }
                return false;
            }
        };
    }

    /** Spends one unit of {@code source}'s budget if it has one. */
    public boolean allow(long now, InetAddress source) {
        return allow(now, source, 1);
    }

    /**
     * Spends {@code cost} units of {@code source}'s budget if it has that many; otherwise spends
     * nothing and returns false. A cost above the burst is never allowed.
     */
    public boolean allow(long now, InetAddress source, double cost) {
        Objects.requireNonNull(source, "source");
        Source key = Source.of(source);
        Bucket b = buckets.get(key);
        if (b == null) {
            b = new Bucket(burst, now);
            buckets.put(key, b);
        } else if (now > b.last) {
            b.tokens = Math.min(burst, b.tokens + (now - b.last) * ratePerNano);
            b.last = now;
        }
        if (b.tokens >= cost) {
            b.tokens -= cost;
            return true;
        }
        return false;
    }

    /** Sources remembered now. */
    public int size() {
        return buckets.size();
    }

    /** Sources forgotten to make room since this limiter was made. */
    public long evicted() {
        return evicted;
    }

    public int maxSources() {
        return maxSources;
    }
}
