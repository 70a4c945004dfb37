package dev.overlay.recovery;

/**
 * The congestion recovery period of RFC 9002 (7.3.2, B.2): it starts when a loss is detected and
 * ends when a packet sent after that moment is acknowledged. Kept as a flag plus a start time
 * because any long, 0 included, is a valid monotonic time here.
 */
final class RecoveryPeriod {
    private boolean started;
    private long startTime;

    /** RFC 9002 (B.2) InCongestionRecovery: sent_time <= congestion_recovery_start_time. */
    boolean contains(long sentTime) {
        return started && sentTime - startTime <= 0;
    }

    /** RFC 9002 (B.6): congestion_recovery_start_time = now. */
    void start(long now) {
        started = true;
        startTime = now;
    }

    /** RFC 9002 (B.8): congestion_recovery_start_time = 0 after persistent congestion. */
    void reset() {
        started = false;
    }
}
