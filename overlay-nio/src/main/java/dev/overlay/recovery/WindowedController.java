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

    WindowedController(int maxDatagramSize) {
        this.maxDatagramSize = RecoveryConstants.checkDatagramSize(maxDatagramSize);
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
