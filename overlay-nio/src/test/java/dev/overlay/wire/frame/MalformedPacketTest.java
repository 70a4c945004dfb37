package dev.overlay.wire.frame;

import static dev.overlay.wire.frame.Packets.build;
import static dev.overlay.wire.frame.Packets.bytes;
import static dev.overlay.wire.frame.Packets.data;
import static dev.overlay.wire.frame.Packets.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every validation rule of the wire format, and every truncation of a valid packet. */
class MalformedPacketTest {
    private static final Set<Integer> KNOWN = Set.of(0x00, 0x01, 0x02, 0x04, 0x05, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
            0x0e, 0x0f, 0x10, 0x11, 0x14, 0x15, 0x1c, 0x30, 0x31, 0x32);

    private static void rejects(String hex, String message) {
        assertThatThrownBy(() -> parse(bytes(hex))).isInstanceOf(FrameException.class).hasMessageStartingWith(message);
    }

    @Test
    void anEmptyPayloadIsRejected() {
        rejects("", "packet: truncated marker");
    }

    @Test
    void aPayloadWhoseFirstByteIsNotTheStreamLayerMarkerIsRejected() {
        rejects("010001", "packet: marker 0x1 is not 0x10");
        rejects("020001", "packet: marker 0x2 is not 0x10");
        rejects("ff0001", "packet: marker 0xff is not 0x10");
    }

    @Test
    void aTruncatedPacketNumberIsRejected() {
        rejects("10", "packet: truncated packet number");
        rejects("1080ffff", "packet: truncated packet number");
    }

    @Test
    void aPacketWithoutFramesIsRejected() {
        rejects("1000", "packet: no frames after packet number 0");
        rejects("109d7f3e7d", "packet: no frames after packet number 494878333");
    }

    @Test
    void everyUnknownFrameTypeIsRejected() {
        for (int type = 0; type < 256; type++) {
            if (KNOWN.contains(type)) {
                continue;
            }
            String hex = String.format("1000%02x00000000", type);
            assertThatThrownBy(() -> parse(bytes(hex))).as("type 0x%x", type)
                    .isInstanceOf(FrameException.class)
                    .hasMessage("packet: unknown frame type 0x" + Integer.toHexString(type));
        }
    }

    @Test
    void anUnknownFrameTypeAfterValidFramesIsRejected() {
        rejects("1000" + "01" + "1000" + "03", "packet: unknown frame type 0x3");
    }

    @Test
    void aStreamFrameWhoseOffsetPlusLengthExceeds2Pow62Minus1IsRejected() {
        // OFF|LEN, stream 1, offset 2^62-1, length 1, one byte
        rejects("1000" + "0e" + "01" + "ffffffffffffffff" + "01" + "78", "STREAM: offset " + Varint.MAX + " + length 1 exceeds 2^62-1");
        // OFF only: the data to the end of the packet pushes it over
        rejects("1000" + "0c" + "01" + "fffffffffffffffe" + "7878", "STREAM: offset " + (Varint.MAX - 1) + " + length 2 exceeds 2^62-1");
    }

    @Test
    void aStreamFrameEndingExactlyAt2Pow62Minus1IsAccepted() throws FrameException {
        assertThat(parse(bytes("1000" + "0e" + "01" + "ffffffffffffffff" + "00"))).containsExactly("STREAM 1 off=" + Varint.MAX + " data=");
    }

    @Test
    void aStreamLengthBeyondTheEndOfThePacketIsRejected() {
        rejects("1000" + "0a" + "01" + "05" + "78787878", "STREAM: length 5 exceeds the 4 bytes left in the packet");
        rejects("1000" + "0a" + "01" + "ffffffffffffffff", "STREAM: length " + Varint.MAX + " exceeds the 0 bytes left");
    }

    @Test
    void aStreamFrameWithoutLengthIsTheLastFrameBecauseItsDataRunsToTheEnd() throws FrameException {
        // What follows looks like PING frames but is stream data.
        assertThat(parse(bytes("1000" + "08" + "01" + "010101"))).containsExactly("STREAM 1 off=0 data=010101");
    }

    @Test
    void anOpenPortAbove65535IsRejected() {
        rejects("1000" + "30" + "04" + "80010000", "OPEN: port 65536 exceeds 65535");
        rejects("1000" + "30" + "04" + "ffffffffffffffff", "OPEN: port " + Varint.MAX + " exceeds 65535");
    }

    @Test
    void aConnectionCloseReasonLongerThan1024BytesIsRejectedEvenIfPresent() {
        String hex = "1000" + "1c" + "00" + "4401" + "61".repeat(1025);
        rejects(hex, "CONNECTION_CLOSE: reason phrase length 1025 exceeds 1024");
    }

    @Test
    void aConnectionCloseReasonLongerThanTheRemainingBytesIsRejected() {
        rejects("1000" + "1c" + "00" + "0a" + "616263", "CONNECTION_CLOSE: reason phrase length 10 exceeds the 3 bytes left");
    }

    @Test
    void aConnectionCloseReasonThatIsNotUtf8IsDecodedWithReplacementCharacters() throws FrameException {
        assertThat(parse(bytes("1000" + "1c" + "07" + "03" + "61ff62"))).containsExactly("CONNECTION_CLOSE 7 reason=a\ufffdb");
    }

    @Test
    void eachTruncatedFieldIsNamedInTheMessage() {
        rejects("1000" + "04" + "01" + "02", "RESET_STREAM: truncated final size");
        rejects("1000" + "05" + "01", "STOP_SENDING: truncated application error code");
        rejects("1000" + "0e" + "01", "STREAM: truncated offset");
        rejects("1000" + "0a" + "01", "STREAM: truncated length");
        rejects("1000" + "08", "STREAM: truncated stream id");
        rejects("1000" + "10", "MAX_DATA: truncated maximum data");
        rejects("1000" + "11" + "01", "MAX_STREAM_DATA: truncated maximum stream data");
        rejects("1000" + "14" + "40", "DATA_BLOCKED: truncated maximum data");
        rejects("1000" + "15" + "01", "STREAM_DATA_BLOCKED: truncated maximum stream data");
        rejects("1000" + "1c" + "01", "CONNECTION_CLOSE: truncated reason phrase length");
        rejects("1000" + "30" + "01", "OPEN: truncated port");
        rejects("1000" + "31", "OPEN_OK: truncated stream id");
    }

    /** A packet of many frame types, with the byte offset where each frame ends. */
    private static final class Sample {
        final byte[] bytes;
        final List<Integer> frameEnds = new ArrayList<>();
        final int headerEnd;

        Sample() {
            ByteBuffer b = ByteBuffer.allocate(2048);
            FrameWriter.writePacketHeader(b, 0, 300_000);
            headerEnd = b.position();
            FrameWriter.writeAck(b, new long[] {299_990, 299_900, 299_000, 298_000, 20, 0}, 3, 1234);
            frameEnds.add(b.position());
            FrameWriter.writeStream(b, 4, 70_000, false, data("some stream data"), 0, 16, true);
            frameEnds.add(b.position());
            FrameWriter.writeResetStream(b, 8, 300, 100_000);
            frameEnds.add(b.position());
            FrameWriter.writeConnectionClose(b, 0x0a, "closing time");
            frameEnds.add(b.position());
            FrameWriter.writeOpen(b, 12, 8080);
            frameEnds.add(b.position());
            FrameWriter.writeMaxStreamData(b, 12, 1 << 20);
            frameEnds.add(b.position());
            FrameWriter.writeStopSending(b, 16, 20_000);
            frameEnds.add(b.position());
            FrameWriter.writeStream(b, 16, 0, true, data("the end"), 0, 7, true);
            frameEnds.add(b.position());
            bytes = Arrays.copyOf(b.array(), b.position());
        }
    }

    @Test
    void everyTruncationOfAValidPacketIsRejectedUnlessItEndsOnAFrameBoundary() throws FrameException {
        Sample s = new Sample();
        List<String> all = parse(ByteBuffer.wrap(s.bytes));
        assertThat(all).hasSize(s.frameEnds.size());
        int rejected = 0;
        for (int cut = 0; cut < s.bytes.length; cut++) {
            int frames = s.frameEnds.indexOf(cut) + 1; // 0 when cut is not the end of a frame
            // The cut packet both as its own array and as a window over the full array: the parser
            // must honour the limit even when more bytes follow in the buffer.
            for (ByteBuffer p : new ByteBuffer[] {ByteBuffer.wrap(Arrays.copyOf(s.bytes, cut)), ByteBuffer.wrap(s.bytes).limit(cut)}) {
                try {
                    List<String> got = parse(p);
                    if (frames == 0) {
                        fail("cut at %d (inside a frame or the header) parsed as %s", cut, got);
                    }
                    assertThat(got).as("cut at frame boundary %d", cut).isEqualTo(all.subList(0, frames));
                } catch (FrameException e) {
                    if (frames != 0) {
                        fail("cut at frame boundary %d was rejected: %s", cut, e.getMessage());
                    }
                    rejected++;
                } catch (RuntimeException | Error e) {
                    throw new AssertionError("cut at " + cut + " threw " + e, e);
                }
            }
        }
        assertThat(rejected).isEqualTo(2 * (s.bytes.length - s.frameEnds.size() + 1));
    }

    @Test
    void aPacketCutInsideItsLastFrameIsRejectedAfterVisitingTheFramesBeforeIt() {
        Sample s = new Sample();
        ByteBuffer p = ByteBuffer.wrap(s.bytes).limit(s.bytes.length - 1);
        RecordingVisitor v = new RecordingVisitor(p);
        FrameParser parser = new FrameParser();
        assertThatThrownBy(() -> parser.parse(p, v)).isInstanceOf(FrameException.class)
                .hasMessage("STREAM: length 7 exceeds the 6 bytes left in the packet");
        assertThat(v.frames).hasSize(s.frameEnds.size() - 1);
        assertThat(parser.lastPacketAckEliciting()).isFalse();
    }
}
