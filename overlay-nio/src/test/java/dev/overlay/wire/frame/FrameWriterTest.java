package dev.overlay.wire.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The writer's contract: validated arguments, space checked first, all-or-nothing writes. */
class FrameWriterTest {
    private static final ByteBuffer DATA = ByteBuffer.wrap(new byte[100]);

    @Test
    void aWriterWithTooLittleSpaceThrowsBufferOverflowAndWritesNothing() {
        List<Consumer<ByteBuffer>> writers = List.of(
                b -> FrameWriter.writePacketHeader(b, 0, Varint.MAX),
                b -> FrameWriter.writePadding(b, 9),
                b -> FrameWriter.writeAck(b, new long[] {Varint.MAX, 0}, 1, 0),
                b -> FrameWriter.writeResetStream(b, Varint.MAX, 1, 1),
                b -> FrameWriter.writeStopSending(b, Varint.MAX, 1),
                b -> FrameWriter.writeStream(b, 1, 0, false, DATA, 0, 8, false),
                b -> FrameWriter.writeMaxData(b, Varint.MAX),
                b -> FrameWriter.writeMaxStreamData(b, 1, Varint.MAX),
                b -> FrameWriter.writeDataBlocked(b, Varint.MAX),
                b -> FrameWriter.writeStreamDataBlocked(b, 1, Varint.MAX),
                b -> FrameWriter.writeConnectionClose(b, 0, "too long a reason"),
                b -> FrameWriter.writeOpen(b, Varint.MAX, 80),
                b -> FrameWriter.writeOpenOk(b, Varint.MAX));
        for (int i = 0; i < writers.size(); i++) {
            ByteBuffer b = ByteBuffer.allocate(9).position(1);
            Consumer<ByteBuffer> w = writers.get(i);
            assertThatThrownBy(() -> w.accept(b)).as("writer %d", i).isInstanceOf(BufferOverflowException.class);
            assertThat(b.position()).as("writer %d wrote nothing", i).isEqualTo(1);
            assertThat(b.array()).containsOnly(0);
        }
        assertThatThrownBy(() -> FrameWriter.writePing(ByteBuffer.allocate(0))).isInstanceOf(BufferOverflowException.class);
        assertThatThrownBy(() -> FrameWriter.writePmtuProbe(ByteBuffer.allocate(0))).isInstanceOf(BufferOverflowException.class);
    }

    @Test
    void aFrameThatExactlyFillsTheBufferIsWritten() {
        ByteBuffer b = ByteBuffer.allocate(FrameWriter.streamOverhead(1, 5, 8, true) + 8);
        FrameWriter.writeStream(b, 1, 5, false, DATA, 0, 8, true);
        assertThat(b.hasRemaining()).isFalse();
    }

    @Test
    void valuesTheFormatCannotCarryAreRejectedWithIllegalArgument() {
        ByteBuffer b = ByteBuffer.allocate(200);
        assertThatThrownBy(() -> FrameWriter.writePacketHeader(b, 0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writePacketHeader(b, 0, Varint.MAX + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writePadding(b, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writeOpen(b, 1, 65536)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writeOpen(b, 1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writeResetStream(b, 1, -5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writeMaxData(b, Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writeStream(b, 1, Varint.MAX, false, DATA, 0, 1, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^62-1");
        assertThatThrownBy(() -> FrameWriter.writeStream(b, 1, -1, false, DATA, 0, 1, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writeStream(b, 1, 0, false, DATA, 0, -1, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameWriter.writeStream(b, 1, 0, false, DATA, 95, 10, true)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(b.position()).as("nothing written").isZero();
    }

    @Test
    void streamOverheadCountsTheOptionalFieldsOnlyWhenPresent() {
        assertThat(FrameWriter.streamOverhead(0, 0, 0, false)).isEqualTo(2);
        assertThat(FrameWriter.streamOverhead(0, 0, 63, true)).isEqualTo(3);
        assertThat(FrameWriter.streamOverhead(0, 0, 64, true)).isEqualTo(4);
        assertThat(FrameWriter.streamOverhead(64, 1, 0, false)).isEqualTo(1 + 2 + 1);
        assertThat(FrameWriter.streamOverhead(0, 1L << 30, 1200, true)).isEqualTo(1 + 1 + 8 + 2);
    }

    @Test
    void thePacketMarkerAndFrameTypesHaveTheirSpecifiedValues() {
        assertThat(FrameWriter.PACKET_MARKER).isEqualTo((byte) 0x10);
        assertThat(new int[] {FrameType.PADDING, FrameType.PING, FrameType.ACK, FrameType.RESET_STREAM, FrameType.STOP_SENDING,
                FrameType.STREAM, FrameType.MAX_DATA, FrameType.MAX_STREAM_DATA, FrameType.DATA_BLOCKED,
                FrameType.STREAM_DATA_BLOCKED, FrameType.CONNECTION_CLOSE, FrameType.OPEN, FrameType.OPEN_OK, FrameType.PMTU_PROBE})
                .containsExactly(0x00, 0x01, 0x02, 0x04, 0x05, 0x08, 0x10, 0x11, 0x14, 0x15, 0x1c, 0x30, 0x31, 0x32);
        assertThat(new int[] {FrameType.STREAM_OFF, FrameType.STREAM_LEN, FrameType.STREAM_FIN}).containsExactly(0x04, 0x02, 0x01);
    }
}
