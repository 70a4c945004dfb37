package dev.overlay.recovery;

import java.util.ArrayList;
import java.util.List;

/** A congestion controller that records what the loss detector tells it. */
final class RecordingController implements CongestionController {
    final List<Long> congestionEventSentTimes = new ArrayList<>();
    final List<SentPacket> acked = new ArrayList<>();
    final List<Long> bytesInFlightBeforeSends = new ArrayList<>();
    int persistentCongestions;
    private boolean appLimited;
    private int maxDatagramSize = 1200;

    @Override
    public long congestionWindow() {
        return 12_000;
    }

    @Override
    public void onPacketSent(long now, long bytesInFlightBefore, int bytes) {
        bytesInFlightBeforeSends.add(bytesInFlightBefore);
    }

    @Override
    public void onPacketAcked(long now, SentPacket p, RttEstimator rtt) {
        acked.add(p);
    }

    @Override
    public void onCongestionEvent(long now, long sentTimeOfLostPacket) {
        congestionEventSentTimes.add(sentTimeOfLostPacket);
    }

    @Override
    public void onPersistentCongestion(long now) {
        persistentCongestions++;
    }

    @Override
    public void setAppLimited(boolean appLimited) {
        this.appLimited = appLimited;
    }

    @Override
    public boolean isAppLimited() {
        return appLimited;
    }

    @Override
    public int maxDatagramSize() {
        return maxDatagramSize;
    }

    @Override
    public void setMaxDatagramSize(int maxDatagramSize) {
        this.maxDatagramSize = maxDatagramSize;
    }
}
