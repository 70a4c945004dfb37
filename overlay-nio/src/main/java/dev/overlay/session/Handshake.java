package dev.overlay.session;

import dev.overlay.crypto.NoiseIK;
import java.net.InetSocketAddress;
import java.util.ArrayList;

/** An initiation we sent and whose response we await, found by its sender index. */
final class Handshake {
    final Peer peer;
    final NoiseIK noise;
    final int localIndex;
    /**
     * The direct addresses this initiation went to (the endpoint and candidate copies): only a
     * response from one of them validates its source (rule 2b).
     */
    final ArrayList<InetSocketAddress> sentTo = new ArrayList<>(Constants.HANDSHAKE_COPIES + 1);

    Handshake(Peer peer, NoiseIK noise, int localIndex) {
        this.peer = peer;
        this.noise = noise;
        this.localIndex = localIndex;
    }
}
