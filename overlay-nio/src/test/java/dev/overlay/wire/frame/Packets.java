package dev.overlay.wire.frame;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/** Test helpers: build a packet with {@link FrameWriter}, parse it with a {@link RecordingVisitor}. */
final class Packets {
    private Packets() {}

    /** A flipped buffer holding the header for {@code packetNumber} and whatever {@code frames} writes. */
    static ByteBuffer build(long packetNumber, Consumer<ByteBuffer> frames) {
        ByteBuffer b = ByteBuffer.allocate(16384);
        FrameWriter.writePacketHeader(b, 0, packetNumber);
        frames.accept(b);
        b.flip();
        return b;
    }

    /** The 8-byte epoch (zero) that follows the marker; hand-written hex in tests leaves it out. */
    static final String EPOCH_HEX = "0000000000000000";

    /**
     * Bytes from hex written as {@code marker, packet number, frames}: the zero epoch is inserted
     * after a leading {@code 10} marker, so test vectors stay readable.
     */
    static ByteBuffer bytes(String hex) {
        String full = hex.startsWith("10") ? "10" + EPOCH_HEX + hex.substring(2) : hex;
        return ByteBuffer.wrap(HexFormat.of().parseHex(full));
    }

    static ByteBuffer data(String text) {
        return ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static List<String> parse(ByteBuffer packet) throws FrameException {
        RecordingVisitor v = new RecordingVisitor(packet);
        new FrameParser().parse(packet, v);
        return v.frames;
    }

    /** Hex of a packet, with the zero epoch after the marker left out (the inverse of {@link #bytes}). */
    static String hexOf(ByteBuffer flipped) {
        byte[] out = new byte[flipped.remaining()];
        flipped.get(flipped.position(), out);
        String hex = HexFormat.of().formatHex(out);
        return hex.startsWith("10" + EPOCH_HEX) ? "10" + hex.substring(2 + EPOCH_HEX.length()) : hex;
    }
}
