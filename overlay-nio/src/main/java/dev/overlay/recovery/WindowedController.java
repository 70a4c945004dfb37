package dev.overlay.recovery;

/**
 * What every window-based controller here shares: the datagram size its windows are counted in,
 * whether sending is application-limited (RFC 9002 7.8: then the window must not grow), and
 * whether the window is still the initial one (RFC 9002 7.2: a new datagram size recomputes it).
 */
abstract class WindowedController implements CongestionController {
    int maxDatagramSize;
    boolean appLimited;
    /** Still at the initial window: a new datagram size then recomputes it (RFC 9002 7.2). */
    boolean initialWindow = true;
    final RecoveryPeriod recovery = new RecoveryPeriod();

    WindowedController(int maxDatagramSize) {
        this.maxDatagramSize = RecoveryConstants.checkDatagramSize(maxDatagramSize);
    }

    /**
     * Whether the acknowledgement of {@code p} may grow the window: not while application-limited
     * (RFC 9002 7.8, RFC 9438 5.8), not for packets sent before the current recovery period began
     * (RFC 9002 7.3.2). Once it may, the window is no longer the initial one.
     */
    final boolean mayGrow(SentPacket p) {
        if (appLimited || recovery.contains(p.timeSent)) {
            return false;
        }
        initialWindow = false;
        return true;
    }

    @Override
    public final void setAppLimited(boolean appLimited) {
        this.appLimited = appLimited;
    }

    @Override
    public final boolean isAppLimited() {
        return appLimited;
    }

    @Override
    public final int maxDatagramSize() {
        return maxDatagramSize;
    }

    @Override
    public final void setMaxDatagramSize(int maxDatagramSize) {
        this.maxDatagramSize = RecoveryConstants.checkDatagramSize(maxDatagramSize);
        datagramSizeChanged(RecoveryConstants.minimumWindow(maxDatagramSize),
                RecoveryConstants.initialWindow(maxDatagramSize));
    }

    /**
     * The datagram size changed (also called once from the constructor): adopt the new minimum
     * window, and the new initial window if {@link #initialWindow} still holds.
     */
    abstract void datagramSizeChanged(long minimumWindow, long initialWindowBytes);
}
