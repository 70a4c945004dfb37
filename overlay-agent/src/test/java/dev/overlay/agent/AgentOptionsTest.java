package dev.overlay.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class AgentOptionsTest {
    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void optionsThenPropertiesThenEnvironment() {
        AgentOptions o = AgentOptions.parse("identity=a.key, serve=80;81",
                props("overlay.serve", "90", "overlay.bind", "0.0.0.0:7000", "user.home", "/root"),
                Map.of("OVERLAY_BIND", "1.2.3.4:1", "OVERLAY_RENDEZVOUS", "r:7000", "PATH", "/bin"));
        assertThat(o.values()).isEqualTo(Map.of("identity", "a.key", "serve", "80;81", "bind", "0.0.0.0:7000",
                "rendezvous", "r:7000"));
        assertThat(o.sources()).containsEntry("identity", "agent option identity")
                .containsEntry("bind", "system property overlay.bind")
                .containsEntry("rendezvous", "environment variable OVERLAY_RENDEZVOUS");
        assertThat(o.warnings()).isEmpty();
    }

    @Test
    void aKeyWithADashIsReadFromAVariableWithAnUnderscore() {
        AgentOptions o = AgentOptions.parse("", new Properties(), Map.of("OVERLAY_UDP_OFFLOAD", "off"));
        assertThat(o.values()).isEqualTo(Map.of("udp-offload", "off"));
        assertThat(o.sources()).containsEntry("udp-offload", "environment variable OVERLAY_UDP_OFFLOAD");
        AgentOptions dashed = AgentOptions.parse("", new Properties(), Map.of("OVERLAY_UDP-OFFLOAD", "off",
                "OVERLAY_UDP_OFFLAOD", "off"));
        assertThat(dashed.values()).isEmpty();
        assertThat(dashed.warnings()).containsExactlyInAnyOrder(
                "environment variable OVERLAY_UDP-OFFLOAD is not an overlay setting and is ignored; did you mean OVERLAY_UDP_OFFLOAD?",
                "environment variable OVERLAY_UDP_OFFLAOD is not an overlay setting and is ignored; did you mean OVERLAY_UDP_OFFLOAD?");
        assertThat(AgentOptions.parse("udp-offload=off", new Properties(), Map.of()).values())
                .isEqualTo(Map.of("udp-offload", "off"));
    }

    @Test
    void noOptionsAtAll() {
        AgentOptions o = AgentOptions.parse(null, new Properties(), Map.of());
        assertThat(o.values()).isEmpty();
        assertThat(AgentOptions.parse("  ", new Properties(), Map.of()).values()).isEmpty();
    }

    @Test
    void malformedOptionsAreNamed() {
        assertThatThrownBy(() -> AgentOptions.parse("identity=a,servee=1", new Properties(), Map.of()))
                .hasMessageStartingWith("unknown agent option 'servee' (did you mean 'serve'?)");
        assertThatThrownBy(() -> AgentOptions.parse("identity=a,xyzzy=1", new Properties(), Map.of()))
                .hasMessageStartingWith("unknown agent option 'xyzzy'; the keys are identity, bind,");
        assertThatThrownBy(() -> AgentOptions.parse("=a", new Properties(), Map.of()))
                .hasMessageStartingWith("agent option '=a' is not KEY=VALUE");
        assertThatThrownBy(() -> AgentOptions.parse("identity=a,", new Properties(), Map.of()))
                .hasMessageStartingWith("empty agent option in 'identity=a,'");
        assertThatThrownBy(() -> AgentOptions.parse("serve=1,serve=2", new Properties(), Map.of()))
                .hasMessage("agent option 'serve' is given twice");
        assertThatThrownBy(() -> AgentOptions.parse("", props("overlay.peer", "x"), Map.of()))
                .hasMessageStartingWith("unknown system property overlay.peer (did you mean 'peers'?)");
    }

    @Test
    void foreignEnvironmentVariablesAreLeftAloneUnlessTheyLookMisspelt() {
        AgentOptions o = AgentOptions.parse("", new Properties(), Map.of("OVERLAY_NATLAB_REQUIRED", "1",
                "OVERLAY_IDENTTY", "x", "OVERLAY_serve", "1", "OVERLAY_HOME", "/opt"));
        assertThat(o.values()).isEmpty();
        assertThat(o.warnings()).containsExactlyInAnyOrder(
                "environment variable OVERLAY_IDENTTY is not an overlay setting and is ignored; did you mean OVERLAY_IDENTITY?",
                "environment variable OVERLAY_serve is not an overlay setting and is ignored; did you mean OVERLAY_SERVE?");
    }

    @Test
    void aBadValueIsNamedWithItsSource() {
        AgentOptions o = AgentOptions.parse("identity=/nonexistent-dir-overlay/x/../y.key", new Properties(),
                Map.of("OVERLAY_SERVE", "70000"));
        assertThatThrownBy(o::config).hasMessageContaining("(agent option identity)");
        AgentOptions p = AgentOptions.parse("", new Properties(), Map.of("OVERLAY_SERVE", "70000"));
        assertThatThrownBy(p::config).hasMessageContaining("'identity' is not set (read agent options, overlay.*"
                + " system properties and OVERLAY_* environment variables)");
    }

    @Test
    void nearestKey() {
        assertThat(AgentOptions.nearest("rendevous")).isEqualTo("rendezvous");
        assertThat(AgentOptions.nearest("peer")).isEqualTo("peers");
        assertThat(AgentOptions.nearest("natlab_required")).isNull();
    }
}
