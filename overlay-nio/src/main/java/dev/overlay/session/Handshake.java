package dev.overlay.session;

import dev.overlay.crypto.NoiseIK;

/** An initiation we sent and whose response we await, found by its sender index. */
final class Handshake {
    final Peer peer;
    final NoiseIK noise;
    final int localIndex;

    Handshake(Peer peer, NoiseIK noise, int localIndex) {
        this.peer = peer;
        this.noise = noise;
        this.localIndex = localIndex;
    }
}
