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
        FrameWriter.writePacketHeader(b, packetNumber);
        frames.accept(b);
        b.flip();
        return b;
    }

    static ByteBuffer bytes(String hex) {
        return ByteBuffer.wrap(HexFormat.of().parseHex(hex));
    }

    static ByteBuffer data(String text) {
        return ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static List<String> parse(ByteBuffer packet) throws FrameException {
        RecordingVisitor v = new RecordingVisitor(packet);
        new FrameParser().parse(packet, v);
        return v.frames;
    }

    static String hexOf(ByteBuffer flipped) {
        byte[] out = new byte[flipped.remaining()];
        flipped.get(flipped.position(), out);
        return HexFormat.of().formatHex(out);
    }
}
