package dev.overlay.node;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Strict parsing of {@code HOST:PORT} as users type it: {@code 127.0.0.1:7000}, {@code [::1]:7000}. */
public final class Endpoints {
    private Endpoints() {}

    /**
     * Parses {@code text} into a resolved socket address.
     *
     * @param allowPortZero true for bind addresses (0 = any free port)
     * @throws IllegalArgumentException naming what is wrong
     */
    public static InetSocketAddress parse(String text, boolean allowPortZero) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected HOST:PORT, got an empty value");
        }
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected [IPV6]:PORT, got '" + text + "'");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("expected HOST:PORT (IPv6 in brackets), got '" + text + "'");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        return new InetSocketAddress(resolve(host, text), port(port, allowPortZero, text));
    }

    private static int port(String port, boolean allowZero, String text) {
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + port + "' in '" + text + "' is not a number");
        }
        int min = allowZero ? 0 : 1;
        if (p < min || p > 65535) {
            throw new IllegalArgumentException("port " + p + " in '" + text + "' is outside " + min + "..65535");
        }
        return p;
    }

    private static InetAddress resolve(String host, String text) {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("missing host in '" + text + "'");
        }
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve host '" + host + "' in '" + text + "'");
        }
    }

    /** {@code 127.0.0.1:7000} or {@code [::1]:7000}: the form {@link #parse} reads. */
    public static String format(InetSocketAddress a) {
        return dev.overlay.session.Path.format(a);
    }
}
