package dev.overlay.wire.frame;

/** Frame type bytes of the stream layer (see the package documentation for the bodies). */
public final class FrameType {
    public static final int PADDING = 0x00;
    public static final int PING = 0x01;
    public static final int ACK = 0x02;
    public static final int RESET_STREAM = 0x04;
    public static final int STOP_SENDING = 0x05;
    /** STREAM types are 0x08..0x0f: this base or-ed with {@link #STREAM_OFF}, {@link #STREAM_LEN}, {@link #STREAM_FIN}. */
    public static final int STREAM = 0x08;
    /** STREAM type bit: an Offset field is present (otherwise the offset is 0). */
    public static final int STREAM_OFF = 0x04;
    /** STREAM type bit: a Length field is present (otherwise the data runs to the end of the packet). */
    public static final int STREAM_LEN = 0x02;
    /** STREAM type bit: the data ends the stream. */
    public static final int STREAM_FIN = 0x01;
    public static final int MAX_DATA = 0x10;
    public static final int MAX_STREAM_DATA = 0x11;
    public static final int DATA_BLOCKED = 0x14;
    public static final int STREAM_DATA_BLOCKED = 0x15;
    public static final int CONNECTION_CLOSE = 0x1c;
    public static final int OPEN = 0x30;
    public static final int OPEN_OK = 0x31;
    public static final int PMTU_PROBE = 0x32;

    private FrameType() {}

    /** True for 0x08..0x0f. */
    public static boolean isStream(int type) {
        return (type & ~0x07) == STREAM;
    }

    /** The frame's name, or {@code "UNKNOWN"}; for messages and logs. */
    public static String name(int type) {
        if (isStream(type)) {
            return "STREAM";
        }
        switch (type) {
            case PADDING: return "PADDING";
            case PING: return "PING";
            case ACK: return "ACK";
            case RESET_STREAM: return "RESET_STREAM";
            case STOP_SENDING: return "STOP_SENDING";
            case MAX_DATA: return "MAX_DATA";
            case MAX_STREAM_DATA: return "MAX_STREAM_DATA";
            case DATA_BLOCKED: return "DATA_BLOCKED";
            case STREAM_DATA_BLOCKED: return "STREAM_DATA_BLOCKED";
            case CONNECTION_CLOSE: return "CONNECTION_CLOSE";
            case OPEN: return "OPEN";
            case OPEN_OK: return "OPEN_OK";
            case PMTU_PROBE: return "PMTU_PROBE";
            default: return "UNKNOWN";
        }
    }
}
