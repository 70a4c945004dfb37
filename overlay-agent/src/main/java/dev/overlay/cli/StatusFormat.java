package dev.overlay.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code overlay status} output: readable tables, or JSON. */
final class StatusFormat {
    private StatusFormat() {}

    private static final String[] PEER_COLUMNS = {"PEER", "PATH", "REMOTE", "RTT ms", "BYTES IN", "BYTES OUT",
        "RETX BYTES", "LOST PKTS", "STREAMS open/total"};

    static String tables(List<StatusCommand.Jvm> jvms) {
        StringBuilder b = new StringBuilder();
        for (StatusCommand.Jvm jvm : jvms) {
            b.append("JVM ").append(jvm.pid());
            if (!jvm.command().isBlank()) {
                b.append(" (").append(shorten(jvm.command(), 100)).append(')');
            }
            b.append('\n');
            for (StatusCommand.NodeView n : jvm.nodes()) {
                node(b, n);
            }
        }
        return b.toString();
    }

    private static void node(StringBuilder b, StatusCommand.NodeView n) {
        Map<String, Object> a = n.attributes();
        b.append("  node ").append(a.get("Name")).append('\n');
        if (n.error() != null) {
            b.append("    ").append(n.error()).append("\n\n");
            return;
        }
        b.append("    handle      ").append(a.get("Handle")).append('\n');
        b.append("    udp         ").append(a.get("UdpAddress"))
                .append(Boolean.TRUE.equals(a.get("RendezvousServer")) ? " (serves as rendezvous and relay)" : "")
                .append('\n');
        List<?> rdv = a.get("RendezvousServers") instanceof List<?> l ? l : List.of();
        b.append("    rendezvous  ").append(rdv.isEmpty() ? "none" : String.join("; ", strings(rdv))).append('\n');
        b.append("    peers       ").append(a.get("PeerCount")).append(" (").append(a.get("SessionCount"))
                .append(" with a session), streams ").append(a.get("OpenStreams")).append(" open / ")
                .append(a.get("StreamsOpened")).append(" opened, handshakes ").append(a.get("HandshakesCompleted"))
                .append('\n');
        b.append("    traffic     ").append(a.get("BytesIn")).append(" bytes in, ").append(a.get("BytesOut"))
                .append(" bytes out (UDP); streams ").append(a.get("StreamBytesReceived")).append(" in, ")
                .append(a.get("StreamBytesSent")).append(" out, ").append(a.get("BytesRetransmitted"))
                .append(" retransmitted\n");
        b.append("    drops       ").append(a.get("TotalDrops"));
        if (a.get("Drops") instanceof Map<?, ?> drops && !drops.isEmpty()) {
            List<String> parts = new ArrayList<>();
            drops.forEach((k, v) -> parts.add(k + "=" + v));
            b.append(" (").append(String.join(", ", parts)).append(')');
        }
        b.append(", up ").append(a.get("UptimeSeconds")).append(" s\n");
        if (n.peers().isEmpty()) {
            b.append("    no peer with a session\n\n");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(PEER_COLUMNS);
        for (Map<String, Object> p : n.peers()) {
            String remote = "relay".equals(p.get("PathKind")) ? "via " + p.get("RelayAddress") : str(p.get("RemoteAddress"));
            rows.add(new String[] {str(p.get("Name")), str(p.get("PathKind")), remote.isEmpty() ? "-" : remote,
                millis(p.get("RttMillis")), str(p.get("BytesReceived")), str(p.get("BytesSent")),
                str(p.get("BytesRetransmitted")), str(p.get("PacketsLost")),
                p.get("OpenStreams") + "/" + p.get("StreamsOpened")});
        }
        int[] width = new int[PEER_COLUMNS.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            b.append("    ");
            for (int i = 0; i < r.length; i++) {
                boolean number = i >= 3 && i != r.length - 1;
                String cell = number ? pad(r[i], width[i], true) : pad(r[i], width[i], false);
                b.append(cell).append(i == r.length - 1 ? "" : "  ");
            }
            int end = b.length();
            while (end > 0 && b.charAt(end - 1) == ' ') {
                end--;
            }
            b.setLength(end);
            b.append('\n');
        }
        b.append('\n');
    }

    private static List<String> strings(List<?> l) {
        List<String> s = new ArrayList<>();
        for (Object o : l) {
            s.add(String.valueOf(o));
        }
        return s;
    }

    private static String str(Object o) {
        return o == null ? "" : String.valueOf(o);
    }

    private static String millis(Object o) {
        if (!(o instanceof Number n) || n.doubleValue() < 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f", n.doubleValue());
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(Math.max(0, width - s.length()));
        return right ? fill + s : s + fill;
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    // ------------------------------------------------------------------ JSON

    static String json(List<StatusCommand.Jvm> jvms) {
        StringBuilder b = new StringBuilder("{\"jvms\":[");
        for (int i = 0; i < jvms.size(); i++) {
            StatusCommand.Jvm jvm = jvms.get(i);
            b.append(i == 0 ? "" : ",").append("{\"pid\":").append(jvm.pid()).append(",\"command\":");
            string(b, jvm.command());
            b.append(",\"nodes\":[");
            for (int j = 0; j < jvm.nodes().size(); j++) {
                StatusCommand.NodeView n = jvm.nodes().get(j);
                b.append(j == 0 ? "" : ",").append('{');
                b.append("\"mbean\":");
                string(b, n.name().toString());
                for (Map.Entry<String, Object> e : n.attributes().entrySet()) {
                    b.append(',');
                    string(b, camel(e.getKey()));
                    b.append(':');
                    value(b, e.getValue());
                }
                if (n.error() != null) {
                    b.append(",\"error\":");
                    string(b, n.error());
                }
                b.append(",\"peers\":[");
                for (int k = 0; k < n.peers().size(); k++) {
                    b.append(k == 0 ? "" : ",");
                    value(b, camelKeys(n.peers().get(k)));
                }
                b.append("]}");
            }
            b.append("]}");
        }
        return b.append("]}").toString();
    }

    private static Map<String, Object> camelKeys(Map<String, Object> m) {
        Map<String, Object> c = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> c.put(camel(k), v));
        return c;
    }

    /** {@code BytesIn} becomes {@code bytesIn}. */
    private static String camel(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private static void value(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Double d) {
            b.append(d.isNaN() || d.isInfinite() ? "null" : String.format(Locale.ROOT, "%.3f", d));
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(first ? "" : ",");
                first = false;
                string(b, String.valueOf(e.getKey()));
                b.append(':');
                value(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                b.append(i == 0 ? "" : ",");
                value(b, l.get(i));
            }
            b.append(']');
        } else {
            string(b, String.valueOf(v));
        }
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
