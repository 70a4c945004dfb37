package dev.overlay.recovery;

/**
 * Constants of loss recovery and congestion control. Spec constants come first, each quoting the
 * RFC that fixes it; the tuning constants after them say why they have their value.
 */
public final class RecoveryConstants {
    private RecoveryConstants() {}

    // ---- spec constants ----

    /** RFC 9002 (6.1.1): kPacketThreshold = 3. */
    public static final int PACKET_THRESHOLD = 3;

    /** RFC 9002 (6.1.2): kTimeThreshold = 9/8, kept as an integer fraction (numerator). */
    public static final int TIME_THRESHOLD_NUMERATOR = 9;

    /** RFC 9002 (6.1.2): kTimeThreshold = 9/8, kept as an integer fraction (denominator). */
    public static final int TIME_THRESHOLD_DENOMINATOR = 8;

    /** RFC 9002 (6.1.2): kGranularity = 1 ms, the timer granularity. */
    public static final long GRANULARITY_NANOS = 1_000_000L;

    /** RFC 9002 (6.2.2): kInitialRtt = 333 ms, the RTT assumed before the first sample. */
    public static final long INITIAL_RTT_NANOS = 333_000_000L;

    /** RFC 9002 (7.6.1): kPersistentCongestionThreshold = 3. */
    public static final int PERSISTENT_CONGESTION_THRESHOLD = 3;

    /** RFC 9002 (7.3.2, B.2): kLossReductionFactor = 0.5. */
    public static final double LOSS_REDUCTION_FACTOR = 0.5;

    // ---- tuning constants ----

    /**
     * Probe packets to send when the PTO fires. RFC 9002 (6.2.4) allows one or two; two make a
     * single lost probe much less likely to cost another doubling of the timeout.
     */
    public static final int PTO_PROBE_PACKETS = 2;

    /**
     * Pacing gain N. RFC 9002 (7.7) asks for a value "small, but at least 1 (for example, 1.25)":
     * above 1 so that pacing alone never stops the window from filling, 1.25 as the RFC suggests.
     */
    public static final double PACING_GAIN = 1.25;

    /**
     * Most consecutive PTO doublings taken into account. The RFC does not cap the backoff; 2^30
     * times any PTO is decades, so capping only keeps the arithmetic from overflowing.
     */
    public static final int MAX_PTO_BACKOFF_SHIFT = 30;

    /**
     * The backed-off PTO period never exceeds this (RFC 9002 sets no cap). Overlay paths go dark
     * and come back (Wi-Fi to LTE, a NAT rebinding, a blackhole): with uncapped doubling, probes
     * after a long outage are many seconds apart and keep missing the moments the path is open. A
     * 1 s cap finds a recovered path within a second and costs at most two small probes a second
     * while it is down; the idle timeout still ends a path that never comes back.
     */
    public static final long MAX_PTO_BACKOFF_NANOS = 1_000_000_000L;

    // ---- windows ----

    /** RFC 9002 (7.2): initial window = min(10 * max_datagram_size, max(14720, 2 * max_datagram_size)). */
    public static long initialWindow(int maxDatagramSize) {
        long mds = checkDatagramSize(maxDatagramSize);
        return Math.min(10 * mds, Math.max(14_720L, 2 * mds));
    }

    /** RFC 9002 (7.2): kMinimumWindow = 2 * max_datagram_size. */
    public static long minimumWindow(int maxDatagramSize) {
        return 2L * checkDatagramSize(maxDatagramSize);
    }

    /** Largest datagram size accepted: a UDP payload cannot exceed 65527 bytes over IPv4. */
    public static final int MAX_DATAGRAM_SIZE_LIMIT = 65_527;

    static int checkDatagramSize(int maxDatagramSize) {
        if (maxDatagramSize <= 0 || maxDatagramSize > MAX_DATAGRAM_SIZE_LIMIT) {
            throw new IllegalArgumentException("max datagram size out of range 1.."
                    + MAX_DATAGRAM_SIZE_LIMIT + ": " + maxDatagramSize);
        }
        return maxDatagramSize;
    }
}
