package dev.overlay.session;

import dev.overlay.crypto.AeadKey;

/**
 * The transport keys of one completed handshake: one AES-256-GCM key per direction, the indices
 * that route packets to it, the send counter and the receive replay window.
 */
final class Keypair {
    final Peer peer;
    final AeadKey send;
    final AeadKey receive;
    /** Our index: the receiver index the peer puts in packets it sends us. */
    final int localIndex;
    /** The peer's index: what we put in packets we send. */
    final int remoteIndex;
    /** True on the side that sent the initiation; only that side rekeys by time (no herd). */
    final boolean initiator;
    final long createdAt;
    final ReplayWindow replay = new ReplayWindow();
    long sendCounter;

    Keypair(Peer peer, byte[] sendKey, byte[] receiveKey, int localIndex, int remoteIndex,
            boolean initiator, long createdAt) {
        this.peer = peer;
        this.send = new AeadKey(sendKey);
        this.receive = new AeadKey(receiveKey);
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.initiator = initiator;
        this.createdAt = createdAt;
        java.util.Arrays.fill(sendKey, (byte) 0);
        java.util.Arrays.fill(receiveKey, (byte) 0);
    }

    long age(long now) {
        return now - createdAt;
    }

    void destroy() {
        send.destroy();
        receive.destroy();
    }
}
