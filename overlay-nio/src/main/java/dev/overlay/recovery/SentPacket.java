package dev.overlay.recovery;

/**
 * What loss recovery remembers about one sent packet (RFC 9002 A.1.1). One object per sent packet,
 * handed to {@link LossDetector#onPacketSent} and given back through {@link LossDetector.Listener}
 * when the packet is acknowledged or declared lost.
 *
 * <p>Fields are public for allocation-free access on the hot path. Everything but {@link #timeSent}
 * and {@link #frames} is fixed at construction; {@link #timeSent} is stamped by {@link
 * LossDetector#onPacketSent} with its {@code now}. The detector never looks inside {@link
 * #frames}: it is whatever the sender needs to retransmit or release when the packet's fate is
 * known.
 */
public final class SentPacket {
    /** The packet number; strictly increasing per {@link LossDetector}. */
    public final long packetNumber;
    /** Monotonic send time in nanoseconds; set by {@link LossDetector#onPacketSent}. */
    public long timeSent;
    /** Bytes counted in flight (the whole datagram, as RFC 9002 sent_bytes). */
    public final int size;
    /** RFC 9002 (2): the packet elicits an acknowledgment. */
    public final boolean ackEliciting;
    /** RFC 9002 (2): the packet counts towards bytes in flight. Ack-eliciting implies in flight. */
    public final boolean inFlight;
    /**
     * A path MTU probe: RFC 9000 (14.4) "loss of a QUIC packet that is carried in a PMTU probe is
     * therefore not a reliable indication of congestion and SHOULD NOT trigger a congestion
     * control reaction". Its bytes still count in flight and its acknowledgment counts as acked.
     */
    public final boolean mtuProbe;
    /** Opaque to recovery: what the caller must retransmit or release. */
    public Object frames;

    /** A packet that is not an MTU probe. */
    public SentPacket(long packetNumber, long timeSent, int size, boolean ackEliciting,
            boolean inFlight, Object frames) {
        this(packetNumber, timeSent, size, ackEliciting, inFlight, false, frames);
    }

    /** A packet of any kind; an MTU probe must be ack-eliciting. */
    public SentPacket(long packetNumber, long timeSent, int size, boolean ackEliciting,
            boolean inFlight, boolean mtuProbe, Object frames) {
        if (packetNumber < 0) {
            throw new IllegalArgumentException("packet number must not be negative: " + packetNumber);
        }
        if (size < 0) {
            throw new IllegalArgumentException("packet size must not be negative: " + size);
        }
        if (ackEliciting && !inFlight) {
            throw new IllegalArgumentException("an ack-eliciting packet is always in flight (RFC 9002 2)");
        }
        if (mtuProbe && !ackEliciting) {
            throw new IllegalArgumentException("an MTU probe must be ack-eliciting (RFC 9000 14.4: PMTU probes are ack-eliciting packets)");
        }
        this.packetNumber = packetNumber;
        this.timeSent = timeSent;
        this.size = size;
        this.ackEliciting = ackEliciting;
        this.inFlight = inFlight;
        this.mtuProbe = mtuProbe;
        this.frames = frames;
    }

    @Override
    public String toString() {
        return "SentPacket{pn=" + packetNumber + ", size=" + size
                + (ackEliciting ? ", ack-eliciting" : "") + (inFlight ? ", in flight" : "")
                + (mtuProbe ? ", MTU probe" : "") + '}';
    }
}
