package dev.overlay.wire.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** QUIC variable-length integers, RFC 9000 section 16 and Appendix A.1. */
class VarintTest {
    private static ByteBuffer hex(String s) {
        return ByteBuffer.wrap(HexFormat.of().parseHex(s));
    }

    private static String encode(long v) {
        ByteBuffer b = ByteBuffer.allocate(8);
        Varint.write(b, v);
        return HexFormat.of().formatHex(b.array(), 0, b.position());
    }

    @Test
    void everyLengthBoundaryRoundTripsWithTheMinimalLength() throws FrameException {
        long[] values = {0, 63, 64, 16383, 16384, (1L << 30) - 1, 1L << 30, Varint.MAX};
        int[] lengths = {1, 1, 2, 2, 4, 4, 8, 8};
        for (int i = 0; i < values.length; i++) {
            ByteBuffer b = ByteBuffer.allocate(9);
            Varint.write(b, values[i]);
            assertThat(b.position()).as("written length of %d", values[i]).isEqualTo(lengths[i]);
            assertThat(Varint.length(values[i])).isEqualTo(lengths[i]);
            b.flip();
            assertThat(Varint.read(b)).isEqualTo(values[i]);
            assertThat(b.hasRemaining()).isFalse();
        }
    }

    @Test
    void theSampleEncodingsOfRfc9000AppendixA1Decode() throws FrameException {
        assertThat(Varint.read(hex("c2197c5eff14e88c"))).isEqualTo(151288809941952652L);
        assertThat(Varint.read(hex("9d7f3e7d"))).isEqualTo(494878333L);
        assertThat(Varint.read(hex("7bbd"))).isEqualTo(15293L);
        assertThat(Varint.read(hex("25"))).isEqualTo(37L);
    }

    @Test
    void aNonMinimalEncodingIsAccepted() throws FrameException {
        assertThat(Varint.read(hex("4025"))).isEqualTo(37L);
        assertThat(Varint.read(hex("80000025"))).isEqualTo(37L);
        assertThat(Varint.read(hex("c000000000000025"))).isEqualTo(37L);
    }

    @Test
    void theSampleValuesEncodeExactlyAsInTheRfcBecauseEncodingIsMinimal() {
        assertThat(encode(151288809941952652L)).isEqualTo("c2197c5eff14e88c");
        assertThat(encode(494878333L)).isEqualTo("9d7f3e7d");
        assertThat(encode(15293L)).isEqualTo("7bbd");
        assertThat(encode(37L)).isEqualTo("25");
    }

    @Test
    void valuesOutsideZeroTo2Pow62Minus1AreRejectedOnWrite() {
        for (long bad : new long[] {-1, Long.MIN_VALUE, Varint.MAX + 1, Long.MAX_VALUE}) {
            assertThatThrownBy(() -> Varint.length(bad)).isInstanceOf(IllegalArgumentException.class);
            ByteBuffer b = ByteBuffer.allocate(8);
            assertThatThrownBy(() -> Varint.write(b, bad)).isInstanceOf(IllegalArgumentException.class);
            assertThat(b.position()).isZero();
        }
    }

    @Test
    void aTruncatedVarintThrowsFrameExceptionAndLeavesThePositionAlone() {
        for (String s : new String[] {"", "40", "9d7f3e", "c2197c5eff14e8"}) {
            ByteBuffer b = hex(s);
            assertThatThrownBy(() -> Varint.read(b)).isInstanceOf(FrameException.class).hasMessageContaining("truncated");
            assertThat(b.position()).isZero();
        }
    }

    @Test
    void readingStopsAtTheLimitNotTheCapacity() {
        ByteBuffer b = hex("9d7f3e7d").limit(3);
        assertThatThrownBy(() -> Varint.read(b)).isInstanceOf(FrameException.class);
    }

    @Test
    void theBufferByteOrderDoesNotMatter() throws FrameException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        Varint.write(b, 151288809941952652L);
        assertThat(HexFormat.of().formatHex(b.array())).isEqualTo("c2197c5eff14e88c");
        b.flip();
        assertThat(Varint.read(b)).isEqualTo(151288809941952652L);
    }

    @Test
    void aVarintThatDoesNotFitIsNotPartiallyWritten() {
        ByteBuffer b = ByteBuffer.allocate(3);
        assertThatThrownBy(() -> Varint.write(b, 494878333L)).isInstanceOf(java.nio.BufferOverflowException.class);
        assertThat(b.position()).isZero();
    }

    @Test
    void readAdvancesPastExactlyOneVarint() throws FrameException {
        ByteBuffer b = hex("7bbd25");
        assertThat(Varint.read(b)).isEqualTo(15293L);
        assertThat(b.position()).isEqualTo(2);
        assertThat(Varint.read(b)).isEqualTo(37L);
    }
}
