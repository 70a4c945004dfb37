package dev.overlay.compat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.compat.http.Payload;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The compat programs are unchanged applications: no class compiled from src/main/java may refer
 * to anything of the overlay's ({@code dev/overlay/...} outside {@code dev/overlay/compat/}), in a
 * type, a descriptor or a string (a {@code Class.forName("dev.overlay.nio...")} counts too).
 */
class NoOverlayImportsTest {
    @Test
    void noProgramClassRefersToTheOverlay() throws Exception {
        Path classes = Path.of(Payload.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path root = classes.resolve("dev/overlay/compat");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        }
        assertThat(files).as("program classes under %s", root).hasSizeGreaterThan(10)
                .anyMatch(p -> p.endsWith("http/ClientRun.class"));
        List<String> offenders = new ArrayList<>();
        for (Path f : files) {
            String ref = overlayReference(Files.readAllBytes(f));
            if (ref != null) {
                offenders.add(classes.relativize(f) + " refers to " + ref);
            }
        }
        assertThat(offenders).isEmpty();
    }

    @Test
    void theScanFindsOverlayReferencesAndIgnoresCompatOnes() throws IOException {
        assertThat(overlayReference(bytes("\u0001Ldev/overlay/nio/OverlaySocketFactory;"))).isEqualTo("dev/overlay/nio/Ov");
        assertThat(overlayReference(bytes("Class.forName dev.overlay.agent.OverlayAgent"))).isEqualTo("dev.overlay.agent.");
        assertThat(overlayReference(bytes("dev/overlay/compat/http/Payload dev.overlay.compat.jdbc.X"))).isNull();
        assertThat(overlayReference(bytes("dev/overlay/"))).isEqualTo("dev/overlay/");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The first {@code dev/overlay/} or {@code dev.overlay.} in {@code classFile} that is not
     * followed by {@code compat/} (or {@code compat.}), with a few characters after it; null if none.
     * Constant-pool strings are modified UTF-8, so ASCII names appear as their bytes.
     */
    static String overlayReference(byte[] classFile) {
        String text = new String(classFile, StandardCharsets.ISO_8859_1);
        for (char sep : new char[] {'/', '.'}) {
            String prefix = "dev" + sep + "overlay" + sep;
            String allowed = prefix + "compat" + sep;
            for (int i = text.indexOf(prefix); i >= 0; i = text.indexOf(prefix, i + 1)) {
                if (!text.startsWith(allowed, i)) {
                    return text.substring(i, Math.min(text.length(), i + prefix.length() + 6));
                }
            }
        }
        return null;
    }
}
