package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main suite's JVM does not open java.net: installing says so and how to fix it, changes
 * nothing, and the runtime still resolves names itself (channels do not need the hook).
 */
class OverlayResolverWithoutOpensTest {
    @TempDir
    Path dir;

    @Test
    void installSaysWhyItCannotAndNamesTheFix() throws Exception {
        assumeFalse(InetAddress.class.getModule().isOpen("java.net", OverlayResolver.class.getModule()),
                "java.net is opened to this JVM's tests");
        try (RuntimeTestNodes nodes = new RuntimeTestNodes(dir)) {
            OverlayRuntime r = nodes.runtime(nodes.options(nodes.keyFile()));
            OverlayResolver.Status s = OverlayResolver.install(r);
            assertThat(s.installed()).isFalse();
            assertThat(s.detail()).contains("java.base does not open java.net")
                    .contains("--add-opens java.base/java.net=ALL-UNNAMED");
            assertThat(OverlayResolver.isInstalled()).isFalse();
            assertThatThrownBy(() -> InetAddress.getByName(r.id().name())).isInstanceOf(UnknownHostException.class);
            assertThat(r.resolve(r.id().name())).isEqualTo(r.id().handle());
        }
    }
}
