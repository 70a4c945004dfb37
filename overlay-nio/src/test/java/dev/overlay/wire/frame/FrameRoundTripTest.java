package dev.overlay.wire.frame;

import static dev.overlay.wire.frame.Packets.build;
import static dev.overlay.wire.frame.Packets.data;
import static dev.overlay.wire.frame.Packets.hexOf;
import static dev.overlay.wire.frame.Packets.parse;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every frame written by {@link FrameWriter} parses back to the same values; sizes match. */
class FrameRoundTripTest {
    private static final long BIG = Varint.MAX;

    /** Runs {@code write} on a fresh buffer and returns how many bytes it wrote. */
    private static int written(java.util.function.Consumer<ByteBuffer> write) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        write.accept(b);
        return b.position();
    }

    @Test
    void thePacketNumberIsReturnedAndTheHeaderIsMarkerThenVarint() throws FrameException {
        ByteBuffer p = build(494878333L, FrameWriter::writePing);
        assertThat(hexOf(p)).isEqualTo("109d7f3e7d01");
        assertThat(FrameWriter.packetHeaderLength(494878333L)).isEqualTo(13);
        FrameParser parser = new FrameParser();
        assertThat(parser.parse(p, new FrameVisitor() {})).isEqualTo(494878333L);
        assertThat(parser.parse(build(BIG, FrameWriter::writePing), new FrameVisitor() {})).isEqualTo(BIG);
        assertThat(parser.parse(build(0, FrameWriter::writePing), new FrameVisitor() {})).isZero();
    }

    @Test
    void aPingRoundTripsAndMakesThePacketAckEliciting() throws FrameException {
        ByteBuffer p = build(1, FrameWriter::writePing);
        FrameParser parser = new FrameParser();
        RecordingVisitor v = new RecordingVisitor(p);
        parser.parse(p, v);
        assertThat(v.frames).containsExactly("PING");
        assertThat(parser.lastPacketAckEliciting()).isTrue();
        assertThat(written(FrameWriter::writePing)).isEqualTo(FrameWriter.pingLength());
    }

    @Test
    void aRunOfPaddingIsOneCallWithItsCountAndDoesNotElicitAnAck() throws FrameException {
        ByteBuffer p = build(1, b -> FrameWriter.writePadding(b, 37));
        FrameParser parser = new FrameParser();
        RecordingVisitor v = new RecordingVisitor(p);
        parser.parse(p, v);
        assertThat(v.frames).containsExactly("PADDING 37");
        assertThat(parser.lastPacketAckEliciting()).isFalse();
        assertThat(written(b -> FrameWriter.writePadding(b, 37))).isEqualTo(FrameWriter.paddingLength(37));
    }

    @Test
    void paddingRunsSeparatedByOtherFramesAreReportedSeparately() throws FrameException {
        ByteBuffer p = build(1, b -> {
            FrameWriter.writePadding(b, 2);
            FrameWriter.writePing(b);
            FrameWriter.writePadding(b, 1);
        });
        assertThat(parse(p)).containsExactly("PADDING 2", "PING", "PADDING 1");
    }

    @Test
    void resetStreamAndStopSendingRoundTripWithExtremeValues() throws FrameException {
        ByteBuffer p = build(2, b -> {
            FrameWriter.writeResetStream(b, 4, 0, BIG);
            FrameWriter.writeResetStream(b, BIG, 16384, 63);
            FrameWriter.writeStopSending(b, 0, BIG);
        });
        assertThat(parse(p)).containsExactly(
                "RESET_STREAM 4 code=0 final=" + BIG,
                "RESET_STREAM " + BIG + " code=16384 final=63",
                "STOP_SENDING 0 code=" + BIG);
        assertThat(written(b -> FrameWriter.writeResetStream(b, BIG, 16384, 63)))
                .isEqualTo(FrameWriter.resetStreamLength(BIG, 16384, 63)).isEqualTo(1 + 8 + 4 + 1);
        assertThat(written(b -> FrameWriter.writeStopSending(b, 0, BIG))).isEqualTo(FrameWriter.stopSendingLength(0, BIG));
    }

    @Test
    void aStreamFrameWithOffsetLengthAndFinRoundTrips() throws FrameException {
        ByteBuffer p = build(3, b -> FrameWriter.writeStream(b, 8, 70000, true, data("hello"), 0, 5, true));
        assertThat(parse(p)).containsExactly("STREAM 8 off=70000 fin data=68656c6c6f");
        assertThat(p.get(10)).as("type byte: OFF|LEN|FIN").isEqualTo((byte) 0x0f);
        assertThat(written(b -> FrameWriter.writeStream(b, 8, 70000, true, data("hello"), 0, 5, true)))
                .isEqualTo(FrameWriter.streamOverhead(8, 70000, 5, true) + 5);
    }

    @Test
    void aStreamFrameAtOffsetZeroOmitsTheOffsetField() throws FrameException {
        ByteBuffer p = build(3, b -> FrameWriter.writeStream(b, 1, 0, false, data("ab"), 0, 2, true));
        assertThat(hexOf(p)).isEqualTo("1003" + "0a" + "01" + "02" + "6162");
        assertThat(parse(p)).containsExactly("STREAM 1 off=0 data=6162");
        assertThat(FrameWriter.streamOverhead(1, 0, 2, true)).isEqualTo(3);
    }

    @Test
    void aStreamFrameWithoutLengthRunsToTheEndOfThePacket() throws FrameException {
        ByteBuffer p = build(3, b -> {
            FrameWriter.writeStream(b, 1, 0, false, data("first"), 0, 5, true);
            FrameWriter.writeStream(b, 5, 12, true, data("xxlastyy"), 2, 4, false);
        });
        assertThat(p.get(p.limit() - 7)).as("type byte: OFF|FIN").isEqualTo((byte) 0x0d);
        assertThat(parse(p)).containsExactly("STREAM 1 off=0 data=6669727374", "STREAM 5 off=12 fin data=6c617374");
        assertThat(FrameWriter.streamOverhead(5, 12, 4, false)).isEqualTo(3);
    }

    @Test
    void aZeroLengthStreamFrameCarriesAFin() throws FrameException {
        ByteBuffer p = build(3, b -> {
            FrameWriter.writeStream(b, 9, 1234, true, data(""), 0, 0, true);
            FrameWriter.writeStream(b, 13, 0, true, data(""), 0, 0, false);
        });
        assertThat(parse(p)).containsExactly("STREAM 9 off=1234 fin data=", "STREAM 13 off=0 fin data=");
    }

    @Test
    void streamDataMayEndExactlyAt2Pow62Minus1() throws FrameException {
        ByteBuffer p = build(3, b -> FrameWriter.writeStream(b, 1, BIG - 2, false, data("ab"), 0, 2, true));
        assertThat(parse(p)).containsExactly("STREAM 1 off=" + (BIG - 2) + " data=6162");
    }

    @Test
    void writingStreamDataLeavesTheSourceBufferPositionAlone() {
        ByteBuffer src = data("abcdef").position(1);
        build(3, b -> FrameWriter.writeStream(b, 1, 0, false, src, 2, 3, true));
        assertThat(src.position()).isEqualTo(1);
    }

    @Test
    void flowControlFramesRoundTrip() throws FrameException {
        ByteBuffer p = build(4, b -> {
            FrameWriter.writeMaxData(b, 1L << 40);
            FrameWriter.writeMaxStreamData(b, 3, BIG);
            FrameWriter.writeDataBlocked(b, 64);
            FrameWriter.writeStreamDataBlocked(b, 7, 16383);
        });
        assertThat(parse(p)).containsExactly(
                "MAX_DATA " + (1L << 40), "MAX_STREAM_DATA 3 max=" + BIG, "DATA_BLOCKED 64", "STREAM_DATA_BLOCKED 7 limit=16383");
        assertThat(written(b -> FrameWriter.writeMaxData(b, 1L << 40))).isEqualTo(FrameWriter.maxDataLength(1L << 40));
        assertThat(written(b -> FrameWriter.writeMaxStreamData(b, 3, BIG))).isEqualTo(FrameWriter.maxStreamDataLength(3, BIG));
        assertThat(written(b -> FrameWriter.writeDataBlocked(b, 64))).isEqualTo(FrameWriter.dataBlockedLength(64));
        assertThat(written(b -> FrameWriter.writeStreamDataBlocked(b, 7, 16383)))
                .isEqualTo(FrameWriter.streamDataBlockedLength(7, 16383));
    }

    @Test
    void connectionCloseRoundTripsItsCodeAndUtf8Reason() throws FrameException {
        ByteBuffer p = build(5, b -> {
            FrameWriter.writeConnectionClose(b, 0x0a, "flow control: überschritten ✓ 🚀");
            FrameWriter.writeConnectionClose(b, 0, "");
            FrameWriter.writeConnectionClose(b, BIG, null);
        });
        FrameParser parser = new FrameParser();
        RecordingVisitor v = new RecordingVisitor(p);
        parser.parse(p, v);
        assertThat(v.frames).containsExactly(
                "CONNECTION_CLOSE 10 reason=flow control: überschritten ✓ 🚀",
                "CONNECTION_CLOSE 0 reason=",
                "CONNECTION_CLOSE " + BIG + " reason=");
        assertThat(parser.lastPacketAckEliciting()).isFalse();
        assertThat(written(b -> FrameWriter.writeConnectionClose(b, 10, "über")))
                .isEqualTo(FrameWriter.connectionCloseLength(10, "über")).isEqualTo(1 + 1 + 1 + 5);
    }

    @Test
    void aReasonOfExactly1024BytesIsKeptWhole() throws FrameException {
        String reason = "r".repeat(1024);
        ByteBuffer p = build(5, b -> FrameWriter.writeConnectionClose(b, 1, reason));
        assertThat(parse(p)).containsExactly("CONNECTION_CLOSE 1 reason=" + reason);
    }

    @Test
    void aLongReasonIsCutTo1024BytesWithoutSplittingACharacter() throws FrameException {
        // 1023 ASCII bytes then a 2-byte 'é': cutting at 1024 would split it, so it is dropped.
        String twoByte = "a".repeat(1023) + "é" + "tail";
        // 1022 ASCII bytes then a 4-byte emoji straddling the limit.
        String fourByte = "b".repeat(1022) + "🚀";
        // 1021 ASCII bytes then a 3-byte character ending exactly at 1024.
        String exact = "c".repeat(1021) + "✓" + "more";
        ByteBuffer p = build(5, b -> {
            FrameWriter.writeConnectionClose(b, 1, twoByte);
            FrameWriter.writeConnectionClose(b, 2, fourByte);
            FrameWriter.writeConnectionClose(b, 3, exact);
        });
        assertThat(parse(p)).containsExactly(
                "CONNECTION_CLOSE 1 reason=" + "a".repeat(1023),
                "CONNECTION_CLOSE 2 reason=" + "b".repeat(1022),
                "CONNECTION_CLOSE 3 reason=" + "c".repeat(1021) + "✓");
        assertThat(FrameWriter.connectionCloseLength(1, twoByte)).isEqualTo(1 + 1 + 2 + 1023);
    }

    @Test
    void openAndOpenOkRoundTripAtBothEndsOfThePortRange() throws FrameException {
        ByteBuffer p = build(6, b -> {
            FrameWriter.writeOpen(b, 0, 0);
            FrameWriter.writeOpen(b, BIG, 65535);
            FrameWriter.writeOpenOk(b, BIG);
        });
        assertThat(parse(p)).containsExactly("OPEN 0 port=0", "OPEN " + BIG + " port=65535", "OPEN_OK " + BIG);
        assertThat(written(b -> FrameWriter.writeOpen(b, BIG, 65535))).isEqualTo(FrameWriter.openLength(BIG, 65535));
        assertThat(written(b -> FrameWriter.writeOpenOk(b, BIG))).isEqualTo(FrameWriter.openOkLength(BIG));
    }

    @Test
    void aPmtuProbePaddedToItsSizeRoundTripsAndElicitsAnAck() throws FrameException {
        int size = 1400;
        ByteBuffer p = build(7, b -> {
            FrameWriter.writePmtuProbe(b);
            FrameWriter.writePadding(b, size - b.position());
        });
        assertThat(p.remaining()).isEqualTo(size);
        FrameParser parser = new FrameParser();
        RecordingVisitor v = new RecordingVisitor(p);
        parser.parse(p, v);
        assertThat(v.frames).containsExactly("PMTU_PROBE", "PADDING " + (size - 11));
        assertThat(parser.lastPacketAckEliciting()).isTrue();
        assertThat(written(FrameWriter::writePmtuProbe)).isEqualTo(FrameWriter.pmtuProbeLength());
    }

    @Test
    void aPacketWithEveryFrameTypeParsesInOrder() throws FrameException {
        ByteBuffer p = build(123456, b -> {
            FrameWriter.writeAck(b, new long[] {100, 90, 80, 80}, 2, 25);
            FrameWriter.writePing(b);
            FrameWriter.writeResetStream(b, 1, 2, 3);
            FrameWriter.writeStopSending(b, 4, 5);
            FrameWriter.writeStream(b, 6, 7, false, data("x"), 0, 1, true);
            FrameWriter.writeMaxData(b, 8);
            FrameWriter.writeMaxStreamData(b, 9, 10);
            FrameWriter.writeDataBlocked(b, 11);
            FrameWriter.writeStreamDataBlocked(b, 12, 13);
            FrameWriter.writeConnectionClose(b, 14, "bye");
            FrameWriter.writeOpen(b, 15, 443);
            FrameWriter.writeOpenOk(b, 16);
            FrameWriter.writePmtuProbe(b);
            FrameWriter.writePadding(b, 3);
        });
        assertThat(parse(p)).containsExactly(
                "ACK delay=25 90..100 80..80", "PING", "RESET_STREAM 1 code=2 final=3", "STOP_SENDING 4 code=5",
                "STREAM 6 off=7 data=78", "MAX_DATA 8", "MAX_STREAM_DATA 9 max=10", "DATA_BLOCKED 11",
                "STREAM_DATA_BLOCKED 12 limit=13", "CONNECTION_CLOSE 14 reason=bye", "OPEN 15 port=443", "OPEN_OK 16",
                "PMTU_PROBE", "PADDING 3");
    }

    @Test
    void aPacketInsideALargerBufferIsReadBetweenPositionAndLimitWithAbsoluteDataIndexes() throws FrameException {
        ByteBuffer inner = build(9, b -> FrameWriter.writeStream(b, 2, 0, false, data("payload"), 0, 7, false));
        ByteBuffer outer = ByteBuffer.allocate(inner.remaining() + 20);
        for (int i = 0; i < outer.capacity(); i++) {
            outer.put(i, (byte) 0x5a);
        }
        outer.put(10, inner, 0, inner.remaining());
        outer.position(10).limit(10 + inner.remaining());
        int[] seen = new int[2];
        long pn = new FrameParser().parse(outer, new FrameVisitor() {
            @Override
            public void onStream(long id, long off, boolean fin, ByteBuffer pkt, int dataOffset, int dataLength) {
                seen[0] = dataOffset;
                seen[1] = dataLength;
            }
        });
        assertThat(pn).isEqualTo(9);
        assertThat(seen).containsExactly(10 + 12, 7);
        assertThat(outer.position()).as("position untouched").isEqualTo(10);
        assertThat(outer.limit()).as("limit untouched").isEqualTo(10 + inner.remaining());
        assertThat(RecordingVisitor.hex(outer, seen[0], seen[1])).isEqualTo(Packets.hexOf(data("payload")));
    }

    @Test
    void onlyPaddingAckAndConnectionCloseAreNotAckEliciting() {
        for (int type = 0; type < 256; type++) {
            boolean expected = type != FrameType.PADDING && type != FrameType.ACK && type != FrameType.CONNECTION_CLOSE;
            assertThat(FrameParser.isAckEliciting(type)).as("type 0x%x", type).isEqualTo(expected);
        }
    }

    @Test
    void aPacketOfOnlyNonElicitingFramesIsNotAckElicitingButOneElicitingFrameMakesItSo() throws FrameException {
        FrameParser parser = new FrameParser();
        parser.parse(build(1, b -> {
            FrameWriter.writeAck(b, new long[] {5, 0}, 1, 0);
            FrameWriter.writePadding(b, 4);
        }), new FrameVisitor() {});
        assertThat(parser.lastPacketAckEliciting()).isFalse();
        parser.parse(build(2, b -> {
            FrameWriter.writeAck(b, new long[] {5, 0}, 1, 0);
            FrameWriter.writeMaxData(b, 1);
        }), new FrameVisitor() {});
        assertThat(parser.lastPacketAckEliciting()).isTrue();
    }

    @Test
    void frameTypeNamesCoverEveryFrame() {
        assertThat(List.of(0x00, 0x01, 0x02, 0x04, 0x05, 0x0b, 0x10, 0x11, 0x14, 0x15, 0x1c, 0x30, 0x31, 0x32, 0x03))
                .extracting(FrameType::name)
                .containsExactly("PADDING", "PING", "ACK", "RESET_STREAM", "STOP_SENDING", "STREAM", "MAX_DATA",
                        "MAX_STREAM_DATA", "DATA_BLOCKED", "STREAM_DATA_BLOCKED", "CONNECTION_CLOSE", "OPEN", "OPEN_OK",
                        "PMTU_PROBE", "UNKNOWN");
    }
}
