package dev.overlay.wire.frame;

import static dev.overlay.wire.frame.Packets.build;
import static dev.overlay.wire.frame.Packets.bytes;
import static dev.overlay.wire.frame.Packets.hexOf;
import static dev.overlay.wire.frame.Packets.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** ACK frames: RFC 9000 19.3 encoding, the descending range layout, and its validation. */
class AckFrameTest {
    /** Captures a copy of the parser-owned AckFrame during the callback. */
    private static final class Capture implements FrameVisitor {
        long largest;
        long delay;
        long[] ranges;

        @Override
        public void onAck(AckFrame ack) {
            largest = ack.largest();
            delay = ack.ackDelayMicros();
            ranges = Arrays.copyOf(ack.ranges(), 2 * ack.rangeCount());
        }
    }

    private static Capture roundTrip(long[] ranges, int count, long delay) throws FrameException {
        ByteBuffer p = build(1, b -> {
            int before = b.position();
            FrameWriter.writeAck(b, ranges, count, delay);
            assertThat(b.position() - before).isEqualTo(FrameWriter.ackLength(ranges, count, delay));
        });
        Capture c = new Capture();
        new FrameParser().parse(p, c);
        return c;
    }

    @Test
    void anAckWithOneRangeRoundTripsAndEncodesAsInTheRfc() throws FrameException {
        long[] ranges = {1000, 990};
        Capture c = roundTrip(ranges, 1, 25_000);
        assertThat(c.largest).isEqualTo(1000);
        assertThat(c.delay).isEqualTo(25_000);
        assertThat(c.ranges).containsExactly(1000, 990);
        // type, largest 1000 (43e8), delay 25000 (80 00 61 a8), range count 0, first range 10
        assertThat(hexOf(build(1, b -> FrameWriter.writeAck(b, ranges, 1, 25_000)))).isEqualTo("1001" + "02" + "43e8" + "800061a8" + "00" + "0a");
    }

    @Test
    void anAckOfASinglePacketNumberZeroRoundTrips() throws FrameException {
        assertThat(roundTrip(new long[] {0, 0}, 1, 0).ranges).containsExactly(0, 0);
    }

    @Test
    void gapsAndRangeLengthsFollowTheRfcFormulas() throws FrameException {
        // ranges 20..20, 15..17, 0..10: first range 0; gap = 20 - 17 - 2 = 1, length 2; gap = 15 - 10 - 2 = 3, length 10
        long[] ranges = {20, 20, 17, 15, 10, 0};
        assertThat(hexOf(build(1, b -> FrameWriter.writeAck(b, ranges, 3, 0)))).isEqualTo("1001" + "02" + "14" + "00" + "02" + "00" + "01" + "02" + "03" + "0a");
        assertThat(roundTrip(ranges, 3, 0).ranges).containsExactly(ranges);
    }

    @Test
    void rangesSeparatedByExactlyOneMissingPacketRoundTrip() throws FrameException {
        long[] ranges = {10, 10, 8, 8, 6, 0};
        assertThat(roundTrip(ranges, 3, 7).ranges).containsExactly(ranges);
    }

    @Test
    void anAckWithTheMaximumOf256RandomRangesRoundTrips() throws FrameException {
        Random random = new Random(256);
        long[] ranges = new long[2 * AckFrame.MAX_RANGES];
        long next = Varint.MAX;
        for (int i = 0; i < AckFrame.MAX_RANGES; i++) {
            long high = next - random.nextInt(1 << random.nextInt(20));
            long low = high - random.nextInt(1 << random.nextInt(20));
            ranges[2 * i] = high;
            ranges[2 * i + 1] = low;
            next = low - 2;
        }
        Capture c = roundTrip(ranges, AckFrame.MAX_RANGES, Varint.MAX);
        assertThat(c.ranges).containsExactly(ranges);
        assertThat(c.largest).isEqualTo(ranges[0]);
        assertThat(c.delay).isEqualTo(Varint.MAX);
    }

    @Test
    void theParserReusesOneAckFrameAndOverwritesIt() throws FrameException {
        FrameParser parser = new FrameParser();
        AckFrame[] seen = new AckFrame[2];
        int[] counts = new int[2];
        int[] i = {0};
        FrameVisitor v = new FrameVisitor() {
            @Override
            public void onAck(AckFrame ack) {
                seen[i[0]] = ack;
                counts[i[0]++] = ack.rangeCount();
            }
        };
        parser.parse(build(1, b -> FrameWriter.writeAck(b, new long[] {9, 8, 5, 1}, 2, 0)), v);
        parser.parse(build(2, b -> FrameWriter.writeAck(b, new long[] {3, 3}, 1, 0)), v);
        assertThat(seen[0]).isSameAs(seen[1]);
        assertThat(counts).containsExactly(2, 1);
        assertThat(seen[1].largest()).isEqualTo(3);
    }

    @Test
    void aFirstRangeLargerThanTheLargestAcknowledgedIsRejected() {
        assertThatThrownBy(() -> parse(bytes("1001" + "02" + "03" + "00" + "00" + "07")))
                .isInstanceOf(FrameException.class)
                .hasMessage("ACK: first range 7 exceeds largest acknowledged 3");
    }

    @Test
    void aGapThatGoesBelowPacketNumberZeroIsRejected() {
        // largest 5, first range 5 (down to 0), then a gap: previous_smallest - gap - 2 = -2
        assertThatThrownBy(() -> parse(bytes("1001" + "02" + "05" + "00" + "01" + "05" + "00" + "00")))
                .isInstanceOf(FrameException.class)
                .hasMessageStartingWith("ACK: gap 0 of range 1 goes below packet number 0");
    }

    @Test
    void aRangeLengthThatGoesBelowPacketNumberZeroIsRejected() {
        // largest 10, first range 0, gap 0 -> next range starts at 8; length 9 would reach -1
        assertThatThrownBy(() -> parse(bytes("1001" + "02" + "0a" + "00" + "01" + "00" + "00" + "09")))
                .isInstanceOf(FrameException.class)
                .hasMessageStartingWith("ACK: ack range length 9 of range 1 goes below packet number 0");
    }

    @Test
    void aRangeEndingExactlyAtPacketNumberZeroIsAccepted() throws FrameException {
        assertThat(parse(bytes("1001" + "02" + "0a" + "00" + "01" + "00" + "00" + "08"))).containsExactly("ACK delay=0 10..10 0..8");
    }

    @Test
    void anAckWithMoreThan256RangesIsRejectedBeforeReadingThem() {
        ByteBuffer b = ByteBuffer.allocate(2000);
        b.put((byte) 0x10).putLong(0).put((byte) 1).put((byte) FrameType.ACK);
        Varint.write(b, 100_000);
        Varint.write(b, 0);
        Varint.write(b, 256); // 256 more ranges after the first: 257 in all
        Varint.write(b, 0);
        for (int i = 0; i < 256; i++) {
            Varint.write(b, 0);
            Varint.write(b, 0);
        }
        b.flip();
        assertThatThrownBy(() -> parse(b)).isInstanceOf(FrameException.class).hasMessageContaining("ACK: too many ranges");
        assertThatThrownBy(() -> parse(bytes("1001" + "02" + "05" + "00" + "ffffffffffffffff")))
                .isInstanceOf(FrameException.class).hasMessageContaining("ACK: too many ranges");
    }

    @Test
    void aTruncatedAckNamesTheMissingField() {
        assertThatThrownBy(() -> parse(bytes("1001" + "02" + "0a" + "00" + "01" + "00" + "00")))
                .isInstanceOf(FrameException.class).hasMessage("ACK: truncated ack range length");
        assertThatThrownBy(() -> parse(bytes("1001" + "02" + "0a")))
                .isInstanceOf(FrameException.class).hasMessage("ACK: truncated ack delay");
    }

    @Test
    void theWriterRejectsRangesThatAreNotDescendingDisjointAndSeparatedByAMissingPacket() {
        long[][] bad = {
            {5, 6},             // low above high
            {-1, -1},           // negative
            {Varint.MAX + 1, 0}, // beyond 2^62-1
            {10, 5, 20, 15},    // second range above the first
            {10, 5, 4, 0},      // adjacent: no missing packet between 5 and 4
            {10, 5, 5, 0},      // overlapping
            {10, 5, 7, 6},      // overlapping from above
        };
        for (long[] ranges : bad) {
            ByteBuffer b = ByteBuffer.allocate(100);
            assertThatThrownBy(() -> FrameWriter.writeAck(b, ranges, ranges.length / 2, 0))
                    .as(Arrays.toString(ranges)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> FrameWriter.ackLength(ranges, ranges.length / 2, 0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(b.position()).as("nothing written").isZero();
        }
    }

    @Test
    void theWriterRejectsBadCountsArraysAndDelays() {
        ByteBuffer b = ByteBuffer.allocate(5000);
        assertThatThrownBy(() -> FrameWriter.writeAck(b, new long[] {1, 1}, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writeAck(b, new long[1000], 257, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writeAck(b, new long[] {1, 1}, 2, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writeAck(b, new long[] {1, 1}, 1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.position()).isZero();
    }
}
