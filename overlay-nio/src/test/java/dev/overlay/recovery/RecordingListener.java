package dev.overlay.recovery;

import java.util.ArrayList;
import java.util.List;

/** Records the packet numbers the loss detector reports, in order. */
final class RecordingListener implements LossDetector.Listener {
    final List<Long> acked = new ArrayList<>();
    final List<Long> lost = new ArrayList<>();

    @Override
    public void onAcked(SentPacket p) {
        acked.add(p.packetNumber);
    }

    @Override
    public void onLost(SentPacket p) {
        lost.add(p.packetNumber);
    }

    void clear() {
        acked.clear();
        lost.clear();
    }
}
