package dev.overlay.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The class-file edit alone; {@code AgentIT} proves a patched JVM returns the overlay provider. */
class ProviderPatchTest {
    static byte[] classBytes(String internalName) throws IOException {
        try (InputStream in = ClassLoader.getSystemResourceAsStream(internalName + ".class")) {
            return in.readAllBytes();
        }
    }

    @Test
    void providerBodyCallsTheBridgeWithTheJdksInstance() throws IOException {
        byte[] original = classBytes(ProviderPatch.TARGET);
        byte[] patched = ProviderPatch.patch(original);
        int cpCount = ByteBuffer.wrap(original, 8, 2).getShort() & 0xffff;
        assertThat(ByteBuffer.wrap(patched, 8, 2).getShort() & 0xffff).isEqualTo(cpCount + 6);
        String text = new String(patched, StandardCharsets.ISO_8859_1);
        assertThat(text).contains(ProviderPatch.BRIDGE).contains(ProviderPatch.BRIDGE_DESC);

        // The old body, getstatic #i; areturn, becomes getstatic #i; invokestatic #(cpCount+5); areturn.
        int at = indexOf(original, new byte[] {0, 0, 0, 4, (byte) 0xb2});
        assertThat(at).as("provider()'s 4-byte body").isPositive();
        byte hi = original[at + 5];
        byte lo = original[at + 6];
        int methodref = cpCount + 5;
        byte[] body = {0, 0, 0, 7, (byte) 0xb2, hi, lo, (byte) 0xb8, (byte) (methodref >> 8), (byte) methodref,
                (byte) 0xb0, 0, 0, 0, 0};
        assertThat(indexOf(patched, body)).isPositive();
        // Only the constants and provider()'s code attribute changed size.
        assertThat(patched.length).isLessThan(original.length + 200);
        // Patching twice is refused: the body no longer has the known shape.
        assertThatThrownBy(() -> ProviderPatch.patch(patched)).hasMessageContaining("not patching an unknown shape");
    }

    @Test
    void aClassWithoutProviderIsRefused() throws IOException {
        assertThatThrownBy(() -> ProviderPatch.patch(classBytes("java/lang/Object")))
                .hasMessageContaining("has no static provider()");
        assertThatThrownBy(() -> ProviderPatch.patch(new byte[] {1, 2, 3, 4, 0, 0, 0, 0, 0, 0}))
                .hasMessage("not a class file");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
