/**
 * Loss recovery and congestion control for the reliable stream layer, after QUIC: RFC 9002 for
 * one packet number space (the handshake is done by the session layer below, so it counts as
 * confirmed from the start), RFC 9438 for CUBIC.
 *
 * <ul>
 *   <li>{@link dev.overlay.recovery.RttEstimator}: RFC 9002 section 5 (latest, smoothed, min RTT,
 *       rttvar, ack delay) and the PTO period of 6.2.1.
 *   <li>{@link dev.overlay.recovery.LossDetector}: RFC 9002 section 6 and Appendix A (packet and
 *       time thresholds, loss timer, PTO with backoff), the calls into congestion control of
 *       Appendix B, and persistent congestion (7.6). Sent packets are {@link
 *       dev.overlay.recovery.SentPacket}s; ACK frames that acknowledge unsent packets raise {@link
 *       dev.overlay.recovery.AckException}.
 *   <li>{@link dev.overlay.recovery.CongestionController}: the controller's side of RFC 9002
 *       section 7 and Appendix B; pacing rate of 7.7; application-limited senders of 7.8.
 *   <li>{@link dev.overlay.recovery.NewReno}: RFC 9002 section 7 and Appendix B.
 *   <li>{@link dev.overlay.recovery.Cubic}: RFC 9438 sections 4.1 to 4.8 and 4.10 (without
 *       HyStart++), with RFC 9002's recovery periods and persistent congestion.
 *   <li>{@link dev.overlay.recovery.Pacer}: a token bucket for RFC 9002 (7.7).
 *   <li>{@link dev.overlay.recovery.RecoveryConstants}: the RFC constants, the initial and minimum
 *       windows of RFC 9002 (7.2), and the tuning constants with their reasons.
 * </ul>
 *
 * <p>Like the session core, nothing here reads a clock or does I/O: every method takes {@code now}
 * in monotonic nanoseconds (any long, compared only by difference) and deadlines are absolute
 * nanoseconds, {@link java.lang.Long#MAX_VALUE} meaning none. Everything belongs to one event loop
 * thread. Misuse throws {@link java.lang.IllegalArgumentException} or {@link
 * java.lang.IllegalStateException}; a peer's bad ACK throws the checked {@link
 * dev.overlay.recovery.AckException}.
 */
package dev.overlay.recovery;
