package dev.overlay.nio;

import java.io.IOException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Socket options of an overlay channel. An overlay stream has no kernel socket, so the options
 * the platform channel supports are accepted, validated as the JDK validates them, and stored:
 * {@code getOption} returns what was set, or what a fresh platform channel reports. Only
 * {@code SO_LINGER} has an effect (0: close resets the stream, as a TCP RST).
 */
final class OverlayOptions {
    private final Set<SocketOption<?>> supported;
    private final Map<SocketOption<?>, Object> values;

    private OverlayOptions(Set<SocketOption<?>> supported, Map<SocketOption<?>, Object> values) {
        this.supported = supported;
        this.values = new ConcurrentHashMap<>(values);
    }

    /** The options and current values of {@code platform} (a channel about to become overlay). */
    static OverlayOptions copyOf(NetworkChannel platform) {
        Set<SocketOption<?>> supported = Set.copyOf(platform.supportedOptions());
        Map<SocketOption<?>, Object> values = new ConcurrentHashMap<>();
        for (SocketOption<?> o : supported) {
            try {
                Object v = platform.getOption(o);
                if (v != null) {
                    values.put(o, v);
                }
            } catch (IOException | RuntimeException e) {
                // unreadable on this platform: reads fall back to the template's value, else null
            }
        }
        return new OverlayOptions(supported, values);
    }

    /** Options of a fresh platform socket channel: for accepted overlay channels. */
    static OverlayOptions socketDefaults() {
        OverlayOptions t = Templates.SOCKET;
        return new OverlayOptions(t.supported, t.values);
    }

    /** Options of a fresh platform server socket channel. */
    static OverlayOptions serverDefaults() {
        OverlayOptions t = Templates.SERVER;
        return new OverlayOptions(t.supported, t.values);
    }

    Set<SocketOption<?>> supported() {
        return supported;
    }

    /** Checks {@code name} and {@code value} as the JDK's channels do, before the open check. */
    <T> Object check(SocketOption<T> name, T value) {
        Objects.requireNonNull(name);
        if (!supported.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        if (!name.type().isInstance(value)) {
            throw new IllegalArgumentException("Invalid value '" + value + "'");
        }
        Object v = value;
        if (name == StandardSocketOptions.SO_RCVBUF || name == StandardSocketOptions.SO_SNDBUF) {
            if ((Integer) value < 0) {
                throw new IllegalArgumentException("Invalid send/receive buffer size");
            }
        } else if (name == StandardSocketOptions.SO_LINGER) {
            int i = (Integer) value;
            v = i < 0 ? -1 : Math.min(i, 65535);
        } else if (name == StandardSocketOptions.IP_TOS) {
            int i = (Integer) value;
            if (i < 0 || i > 255) {
                throw new IllegalArgumentException("Invalid IP_TOS value");
            }
        }
        return v;
    }

    void put(SocketOption<?> name, Object checked) {
        values.put(name, checked);
    }

    /** Checks {@code name} as the JDK does before the open check. */
    void checkSupported(SocketOption<?> name) {
        Objects.requireNonNull(name);
        if (!supported.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
    }

    @SuppressWarnings("unchecked")
    <T> T get(SocketOption<T> name) {
        return (T) values.get(name);
    }

    /** True when SO_LINGER is 0: close aborts instead of delivering what is buffered. */
    boolean abortiveClose() {
        Object linger = values.get(StandardSocketOptions.SO_LINGER);
        return linger instanceof Integer i && i == 0;
    }

    private static final class Templates {
        static final OverlayOptions SOCKET = read(true);
        static final OverlayOptions SERVER = read(false);

        private static OverlayOptions read(boolean socket) {
            try (NetworkChannel ch = socket ? PlatformProvider.get().openSocketChannel()
                    : PlatformProvider.get().openServerSocketChannel()) {
                return copyOf(ch);
            } catch (IOException e) {
                return new OverlayOptions(Set.of(StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_SNDBUF,
                        StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_REUSEADDR,
                        StandardSocketOptions.SO_LINGER, StandardSocketOptions.TCP_NODELAY,
                        StandardSocketOptions.IP_TOS), Map.of(StandardSocketOptions.SO_RCVBUF, 65536,
                        StandardSocketOptions.SO_SNDBUF, 65536, StandardSocketOptions.SO_KEEPALIVE, false,
                        StandardSocketOptions.SO_REUSEADDR, false, StandardSocketOptions.SO_LINGER, -1,
                        StandardSocketOptions.TCP_NODELAY, false, StandardSocketOptions.IP_TOS, 0));
            }
        }
    }
}
