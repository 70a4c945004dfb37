/**
 * Byte layouts of every datagram the overlay sends (docs/protocol.md has the same tables).
 *
 * <pre>
 * Every datagram starts with a 4-byte header: type (1 byte), then 3 reserved bytes that are zero.
 *
 *  type 1  handshake initiation   148 bytes   {@link dev.overlay.wire.Initiation}
 *  type 2  handshake response      92 bytes   {@link dev.overlay.wire.Response}
 *  type 3  cookie reply            reserved (under-load DoS defence, not sent yet)
 *  type 4  transport data         >= 32 bytes {@link dev.overlay.wire.Transport}
 * </pre>
 *
 * <p>All integers are big-endian. Each class is a view: {@code check(len)} says whether a datagram
 * of that length can be this message; after it passes, the accessors cannot fail. Receivers drop
 * and count anything that fails a check; nothing here throws on untrusted input.
 */
package dev.overlay.wire;
