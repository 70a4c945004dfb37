package dev.overlay.identity;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text of a key file (the format is documented on {@link KeyFile}). Separate from the file
 * handling so each stays small.
 *
 * <p>No message built here contains a field value that could hold key material: a damaged file
 * can merge the private-key line into any other line, so values are described, never echoed.
 */
final class KeyFileFormat {
    static final String VERSION_FIELD = "version";
    static final String PRIVATE_KEY_FIELD = "private-key";
    static final String PUBLIC_KEY_FIELD = "public-key";
    private static final List<String> FIELDS =
            List.of(VERSION_FIELD, PRIVATE_KEY_FIELD, PUBLIC_KEY_FIELD);
    private static final String VERSION = "1";
    private static final int HEX_LENGTH = 64;
    private static final HexFormat HEX = HexFormat.of();

    private KeyFileFormat() {}

    /** The file contents for {@code identity}. */
    static String format(Identity identity) {
        return "# overlay node identity. Keep this file secret: it is the node's private key.\n"
                + "# name: " + identity.id().name() + "\n"
                + VERSION_FIELD + ": " + VERSION + "\n"
                + PRIVATE_KEY_FIELD + ": " + HEX.formatHex(identity.privateKey()) + "\n"
                + PUBLIC_KEY_FIELD + ": " + identity.id().base32() + "\n";
    }

    /** Parses file contents, checking that the public key belongs to the private key. */
    static Identity parse(Path file, String text) throws KeyFileException {
        Map<String, String> fields = fields(file, text);
        checkVersion(file, fields.get(VERSION_FIELD));
        byte[] privateKey = privateKey(file, fields.get(PRIVATE_KEY_FIELD));
        NodeId claimed = publicKey(file, fields.get(PUBLIC_KEY_FIELD));
        Identity identity = Identity.fromPrivateKey(privateKey);
        Arrays.fill(privateKey, (byte) 0);
        if (!identity.id().equals(claimed)) {
            throw new KeyFileException(file, PUBLIC_KEY_FIELD + " does not match " + PRIVATE_KEY_FIELD
                    + ": the file is corrupted or was edited");
        }
        return identity;
    }

    private static Map<String, String> fields(Path file, String text) throws KeyFileException {
        if (!text.endsWith("\n")) {
            throw new KeyFileException(file, "does not end with a newline; it may be truncated");
        }
        String[] lines = text.split("\n", -1);
        Map<String, String> fields = new LinkedHashMap<>();
        // The split leaves an empty string after the final newline; it is not a line.
        for (int i = 0; i < lines.length - 1; i++) {
            parseLine(file, i + 1, stripCarriageReturn(lines[i]), fields);
        }
        for (String name : FIELDS) {
            if (!fields.containsKey(name)) {
                throw new KeyFileException(file, "missing required field '" + name + "'");
            }
        }
        return fields;
    }

    private static void parseLine(Path file, int lineNumber, String line, Map<String, String> fields)
            throws KeyFileException {
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
            return;
        }
        int colon = line.indexOf(':');
        if (colon < 0) {
            throw new KeyFileException(file, "line " + lineNumber + ": expected 'field: value'");
        }
        String name = line.substring(0, colon).strip();
        if (!FIELDS.contains(name)) {
            throw new KeyFileException(file, "line " + lineNumber + ": unknown field " + showName(name)
                    + " (expected " + String.join(", ", FIELDS) + ")");
        }
        if (fields.putIfAbsent(name, line.substring(colon + 1).strip()) != null) {
            throw new KeyFileException(file, "line " + lineNumber + ": duplicate field '" + name + "'");
        }
    }

    private static String stripCarriageReturn(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /**
     * An unknown field name, quoted only when it is a plain word: a name could be a damaged
     * private-key line cut at a stray ':', and must then not be shown.
     */
    private static String showName(String name) {
        boolean plainWord = name.matches("[A-Za-z][A-Za-z-]{0,31}");
        if (plainWord && !name.regionMatches(true, 0, "private", 0, "private".length())) {
            return "'" + name + "'";
        }
        return "(name not shown: it is not a plain word)";
    }

    private static void checkVersion(Path file, String version) throws KeyFileException {
        if (VERSION.equals(version)) {
            return;
        }
        String shown = version.matches("[0-9]{1,9}") ? version : "(not a number)";
        throw new KeyFileException(file, "unsupported " + VERSION_FIELD + " " + shown
                + "; this software reads version " + VERSION);
    }

    private static byte[] privateKey(Path file, String hex) throws KeyFileException {
        if (hex.length() != HEX_LENGTH) {
            throw new KeyFileException(file, PRIVATE_KEY_FIELD + " must be " + HEX_LENGTH
                    + " hex characters (32 bytes), got " + hex.length());
        }
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                throw new KeyFileException(file, PRIVATE_KEY_FIELD
                        + " must be lower-case hex; the character at position " + i + " is not");
            }
        }
        return HEX.parseHex(hex);
    }

    private static NodeId publicKey(Path file, String base32) throws KeyFileException {
        try {
            return NodeId.parse(base32);
        } catch (IllegalArgumentException e) {
            throw new KeyFileException(file, PUBLIC_KEY_FIELD + " is not a valid node key: "
                    + e.getMessage(), e);
        }
    }
}
