package dev.overlay.agent;

import dev.overlay.nio.OverlayConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The agent's configuration, merged from three sources, first one wins per key:
 * <ol>
 *   <li>the agent options, {@code -javaagent:overlay-agent.jar=KEY=VALUE,KEY=VALUE};
 *   <li>the system properties {@code overlay.KEY} (the same ones the provider alone reads);
 *   <li>the environment variables {@code OVERLAY_KEY} (upper case: {@code OVERLAY_IDENTITY}).
 * </ol>
 * The keys are {@link OverlayConfig#KEYS}; a {@code config} file (from any source) is read under
 * all three. An unknown option or system property, a malformed option, or a key given twice in
 * the options is an error naming it. Other {@code OVERLAY_*} variables are not ours to refuse
 * (the environment is shared), but one that looks like a misspelt key is reported by
 * {@link #warnings()}.
 *
 * @param values key to value
 * @param sources key to where its value came from, for error messages
 * @param warnings things worth a log line (a likely misspelt {@code OVERLAY_*} variable)
 */
record AgentOptions(Map<String, String> values, Map<String, String> sources, List<String> warnings) {
    static final String ENV_PREFIX = "OVERLAY_";

    /** The environment variable for {@code key}: {@code OVERLAY_} and the key in upper case, '-' as '_'. */
    static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** Where all the values came from, for a message about one that is missing. */
    static final String ALL_SOURCES = "agent options, overlay.* system properties and OVERLAY_* environment variables";

    /**
     * Merges {@code agentArgs} (null or empty: none), {@code properties} and {@code env}.
     *
     * @throws IllegalArgumentException naming the option, property or key that is wrong
     */
    static AgentOptions parse(String agentArgs, Properties properties, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();

        if (agentArgs != null && !agentArgs.isBlank()) {
            for (String part : agentArgs.split(",", -1)) {
                String item = part.strip();
                if (item.isEmpty()) {
                    throw new IllegalArgumentException("empty agent option in '" + agentArgs
                            + "' (options are KEY=VALUE separated by ',', lists inside a value by ';')");
                }
                int eq = item.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("agent option '" + item + "' is not KEY=VALUE; the keys are "
                            + String.join(", ", OverlayConfig.KEYS));
                }
                String key = item.substring(0, eq).strip();
                String value = item.substring(eq + 1).strip();
                if (!OverlayConfig.KEYS.contains(key)) {
                    throw new IllegalArgumentException("unknown agent option '" + key + "'" + suggestion(key)
                            + "; the keys are " + String.join(", ", OverlayConfig.KEYS));
                }
                if (values.containsKey(key)) {
                    throw new IllegalArgumentException("agent option '" + key + "' is given twice");
                }
                values.put(key, value);
                sources.put(key, "agent option " + key);
            }
        }

        for (String name : properties.stringPropertyNames()) {
            if (!name.startsWith(OverlayConfig.PROPERTY_PREFIX)) {
                continue;
            }
            String key = name.substring(OverlayConfig.PROPERTY_PREFIX.length());
            if (!OverlayConfig.KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown system property " + name + suggestion(key)
                        + "; the overlay.* properties are overlay." + String.join(", overlay.", OverlayConfig.KEYS));
            }
            if (!values.containsKey(key)) {
                values.put(key, properties.getProperty(name));
                sources.put(key, "system property " + name);
            }
        }

        for (Map.Entry<String, String> e : env.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith(ENV_PREFIX)) {
                continue;
            }
            // OVERLAY_UDP_OFFLOAD names udp-offload: variable names cannot hold '-'.
            String key = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '-');
            if (!OverlayConfig.KEYS.contains(key) || !name.equals(envName(key))) {
                String near = nearest(key);
                if (near != null) {
                    warnings.add("environment variable " + name + " is not an overlay setting and is ignored; did you mean "
                            + envName(near) + "?");
                }
                continue;
            }
            if (!values.containsKey(key)) {
                values.put(key, e.getValue());
                sources.put(key, "environment variable " + name);
            }
        }
        return new AgentOptions(Map.copyOf(values), Map.copyOf(sources), List.copyOf(warnings));
    }

    /** Reads the configuration these values describe (the identity file is loaded or created). */
    OverlayConfig config() {
        return OverlayConfig.parse(values, sources, ALL_SOURCES);
    }

    private static String suggestion(String key) {
        String near = nearest(key.toLowerCase(Locale.ROOT));
        return near == null ? "" : " (did you mean '" + near + "'?)";
    }

    /** The key within edit distance 2 of {@code text}, if exactly one is closest; else null. */
    static String nearest(String text) {
        String best = null;
        int bestDistance = 3;
        boolean tie = false;
        for (String k : OverlayConfig.KEYS) {
            int d = distance(text, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
                tie = false;
            } else if (d == bestDistance) {
                tie = true;
            }
        }
        return tie ? null : best;
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
