package dev.overlay.wire.frame;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The UTF-8 bytes of a CONNECTION_CLOSE reason, cut to {@link FrameWriter#MAX_REASON_BYTES}. */
final class ReasonPhrase {
    private ReasonPhrase() {}

    /**
     * UTF-8 of {@code reason} (null is empty; unpaired surrogates become '?'), truncated to at most
     * {@link FrameWriter#MAX_REASON_BYTES} bytes without splitting a character.
     */
    static byte[] encode(String reason) {
        if (reason == null || reason.isEmpty()) {
            return new byte[0];
        }
        byte[] all = reason.getBytes(StandardCharsets.UTF_8);
        if (all.length <= FrameWriter.MAX_REASON_BYTES) {
            return all;
        }
        // all[cut] is the first byte left out; while it is a continuation byte (10xxxxxx) the
        // character it belongs to started before the cut, so cut before that character instead.
        int cut = FrameWriter.MAX_REASON_BYTES;
        while (cut > 0 && (all[cut] & 0xc0) == 0x80) {
            cut--;
        }
        return Arrays.copyOf(all, cut);
    }
}
