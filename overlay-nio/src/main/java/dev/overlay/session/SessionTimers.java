package dev.overlay.session;

import java.time.Duration;
import java.util.Objects;

/**
 * The session layer's timers. Defaults are WireGuard's (whitepaper section 6.1), each with the
 * reason it has its value; tests and the hidden {@code --timer} CLI option shorten them.
 *
 * @param rekeyAfter the initiator re-handshakes once its keypair is this old (120 s): keys are
 *     short-lived so a stolen session key exposes at most a few minutes of traffic.
 * @param rejectAfter no keypair is used past this age (180 s): a hard stop 60 s after rekeying
 *     should have happened, leaving room for a few failed attempts.
 * @param rekeyTimeout wait this long for a handshake response before retransmitting (5 s): several
 *     RTTs on any real path, so retransmits do not pile up on a slow one.
 * @param rekeyAttemptTime give up handshaking after this long (90 s) and report the peer unreachable.
 * @param keepalive after receiving data and sending nothing for this long, send an empty keepalive
 *     (10 s), so the sender learns its data arrived; also the first half of dead-peer detection.
 * @param persistentKeepalive if non-zero, send a keepalive this often regardless of traffic, to hold
 *     NAT mappings open (25 s is below common NAT UDP timeouts); zero (off) by default.
 * @param idleTimeout a session that has received nothing authenticated for this long is closed and
 *     its keys erased (180 s = rejectAfter: its keys would be unusable by then anyway).
 * @param jitter up to this much random delay is added to handshake timers (333 ms), so two peers that
 *     start together do not keep colliding.
 */
public record SessionTimers(
        Duration rekeyAfter,
        Duration rejectAfter,
        Duration rekeyTimeout,
        Duration rekeyAttemptTime,
        Duration keepalive,
        Duration persistentKeepalive,
        Duration idleTimeout,
        Duration jitter) {

    public static final SessionTimers DEFAULTS = new SessionTimers(
            Duration.ofSeconds(120),
            Duration.ofSeconds(180),
            Duration.ofSeconds(5),
            Duration.ofSeconds(90),
            Duration.ofSeconds(10),
            Duration.ZERO,
            Duration.ofSeconds(180),
            Duration.ofMillis(333));

    public SessionTimers {
        positive("rekey-after", rekeyAfter);
        positive("reject-after", rejectAfter);
        positive("rekey-timeout", rekeyTimeout);
        positive("rekey-attempt-time", rekeyAttemptTime);
        positive("keepalive", keepalive);
        notNegative("persistent-keepalive", persistentKeepalive);
        positive("idle-timeout", idleTimeout);
        notNegative("jitter", jitter);
        if (rejectAfter.compareTo(rekeyAfter) <= 0) {
            throw new IllegalArgumentException("reject-after (" + rejectAfter
                    + ") must be longer than rekey-after (" + rekeyAfter + ")");
        }
    }

    /** The names accepted by {@link #with}, as users type them. */
    public static final java.util.List<String> NAMES = java.util.List.of(
            "rekey-after", "reject-after", "rekey-timeout", "rekey-attempt-time",
            "keepalive", "persistent-keepalive", "idle-timeout", "jitter");

    /** A copy with the timer called {@code name} (one of {@link #NAMES}) set to {@code value}. */
    public SessionTimers with(String name, Duration value) {
        Duration[] d = {rekeyAfter, rejectAfter, rekeyTimeout, rekeyAttemptTime,
            keepalive, persistentKeepalive, idleTimeout, jitter};
        int i = NAMES.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException(
                    "unknown timer '" + name + "'; known timers: " + String.join(", ", NAMES));
        }
        d[i] = value;
        return new SessionTimers(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("timer " + name + " must be positive, got " + d);
        }
    }

    private static void notNegative(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException("timer " + name + " must not be negative, got " + d);
        }
    }
}
