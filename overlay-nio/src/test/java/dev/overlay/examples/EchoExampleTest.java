package dev.overlay.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** Keeps the documented example (docs/streams.md) compiling and working. */
class EchoExampleTest {
    @Test
    void theDocumentedEchoExampleRunsAndPrintsTheEchoedText() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            EchoExample.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        assertThat(captured.toString()).containsPattern("echoed by [a-z2-7]{52}\\.overlay: hello over the overlay");
    }
}
