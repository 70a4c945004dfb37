package dev.overlay.session;

import java.util.Random;

/**
 * One hook per protocol event that moves a peer's deadlines, after WireGuard's timer design. The
 * core never reads a clock: each hook takes {@code now}, and {@link Device#nextDeadline()} tells
 * the driver when to call back.
 */
final class Timers {
    private final SessionTimers t;
    private final Random random;

    Timers(SessionTimers t, Random random) {
        this.t = t;
        this.random = random;
    }

    SessionTimers config() {
        return t;
    }

    /** Call after sending an initiation: retransmit if no response within rekey-timeout. */
    void handshakeInitiated(Peer p, long now) {
        if (p.handshakeAttemptsStartedAt == Peer.NEVER) {
            p.handshakeAttemptsStartedAt = now;
        }
        p.lastInitiationSentAt = now;
        p.retransmitHandshakeAt = now + t.rekeyTimeout().toNanos() + jitter();
    }

    /** Call after a handshake completed (either role): stop retransmitting. */
    void handshakeComplete(Peer p) {
        p.retransmitHandshakeAt = Peer.OFF;
        p.handshakeAttemptsStartedAt = Peer.NEVER;
    }

    /** Call after giving up on a handshake. */
    void handshakeAbandoned(Peer p) {
        p.retransmitHandshakeAt = Peer.OFF;
        p.handshakeAttemptsStartedAt = Peer.NEVER;
        p.newHandshakeAt = Peer.OFF;
    }

    /** Call after sending a non-empty transport packet: expect to hear back before long. */
    void dataSent(Peer p, long now) {
        p.lastDataAt = now;
        if (p.newHandshakeAt == Peer.OFF) {
            p.newHandshakeAt = now + t.keepalive().toNanos() + t.rekeyTimeout().toNanos() + jitter();
        }
    }

    /** Call after receiving a non-empty transport packet: acknowledge it if we stay silent. */
    void dataReceived(Peer p, long now) {
        p.lastDataAt = now;
        if (p.sendKeepaliveAt == Peer.OFF) {
            p.sendKeepaliveAt = now + t.keepalive().toNanos();
        }
    }

    /**
     * Call after sending a non-empty transport packet on the direct path while a relay is known:
     * if nothing comes back on the direct path by keepalive + rekey-timeout (the dead-peer
     * interval), it is given up for the relay.
     */
    void dataSentDirect(Peer p, long now) {
        if (p.fallbackAt == Peer.OFF) {
            p.fallbackAt = now + t.keepalive().toNanos() + t.rekeyTimeout().toNanos();
        }
    }

    /** Call after an authenticated packet arrived from the direct endpoint: the direct path works. */
    void directPacketReceived(Peer p) {
        p.fallbackAt = Peer.OFF;
    }

    /** Call after sending any authenticated packet: it serves as the keepalive. */
    void anyAuthenticatedPacketSent(Peer p, long now) {
        p.sendKeepaliveAt = Peer.OFF;
        persistent(p, now);
    }

    /** Call after receiving any authenticated packet: the peer is alive. */
    void anyAuthenticatedPacketReceived(Peer p, long now) {
        p.newHandshakeAt = Peer.OFF;
        p.lastReceivedAt = now;
        persistent(p, now);
    }

    private void persistent(Peer p, long now) {
        long interval = t.persistentKeepalive().toNanos();
        p.persistentKeepaliveAt = interval == 0 ? Peer.OFF : now + interval;
    }

    /**
     * Call when the peer's keys are erased (idle or expired). A persistent keepalive stays armed: it
     * exists to hold a NAT mapping open, so it re-handshakes when it finds no keys.
     */
    void sessionErased(Peer p) {
        p.sendKeepaliveAt = Peer.OFF;
        p.newHandshakeAt = Peer.OFF;
        p.fallbackAt = Peer.OFF;
        p.lastReceivedAt = Peer.NEVER;
        p.sessionSince = Peer.NEVER;
    }

    /** Call when staging data behind a responder keypair that awaits confirmation. */
    void awaitingConfirmation(Peer p, long confirmBy) {
        p.newHandshakeAt = Math.min(p.newHandshakeAt, confirmBy);
    }

    long jitter() {
        long max = t.jitter().toNanos();
        return max == 0 ? 0 : (long) (random.nextDouble() * max);
    }
}
