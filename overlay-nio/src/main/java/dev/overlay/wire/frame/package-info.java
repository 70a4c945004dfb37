/**
 * The stream layer's wire format: QUIC-like frames (RFC 9000) inside the payload of one session
 * transport datagram, which is already authenticated and decrypted when it gets here.
 *
 * <h2>Packet</h2>
 *
 * <pre>
 *   byte 0   0x10, the stream-layer marker ({@link dev.overlay.wire.frame.FrameWriter#PACKET_MARKER});
 *            payload kinds 0x01/0x02 are the PING/PONG of {@link dev.overlay.wire.Control}
 *   u64      the sender's connection epoch (top bit zero): a new value when a node starts a new
 *            connection to a peer (after a restart), so the receiver can tell a restarted peer
 *            from a late packet of the old connection
 *   varint   packet number, 0 .. 2^62-1, strictly increasing per connection and direction, never reused
 *   frames   one or more frames, up to the end of the payload
 * </pre>
 *
 * <p>Varints are QUIC variable-length integers, RFC 9000 (16): a 2-bit length prefix, then 1, 2, 4
 * or 8 bytes big-endian, at most 2^62-1 ({@link dev.overlay.wire.frame.Varint}). They are always
 * encoded minimally and decoded at any length (RFC 9000 (16) allows non-minimal encodings). A frame
 * type is one byte; every other integer is a varint.
 *
 * <h2>Frames</h2>
 *
 * <pre>
 *   type       frame                body
 *   0x00       PADDING              nothing; each 0x00 byte is one frame, a run of them pads the packet
 *   0x01       PING                 nothing (ack-eliciting)
 *   0x02       ACK                  largest acknowledged, ack delay (microseconds), ack range count,
 *                                   first ack range, then per range: gap, ack range length
 *                                   (RFC 9000 19.3 without ECN; at most 256 ranges in all)
 *   0x04       RESET_STREAM         stream id, application error code, final size
 *   0x05       STOP_SENDING         stream id, application error code
 *   0x08..0x0f STREAM               type bits 0x04 OFF (offset present, else 0), 0x02 LEN (length
 *                                   present, else the data runs to the end of the packet), 0x01 FIN;
 *                                   body: stream id, [offset], [length], data (RFC 9000 19.8)
 *   0x10       MAX_DATA             maximum data
 *   0x11       MAX_STREAM_DATA      stream id, maximum stream data
 *   0x14       DATA_BLOCKED         maximum data (the limit at which the sender is blocked)
 *   0x15       STREAM_DATA_BLOCKED  stream id, maximum stream data
 *   0x1c       CONNECTION_CLOSE     error code, reason phrase length, reason phrase (UTF-8, at most 1024 bytes)
 *   0x30       OPEN                 stream id, port (0..65535): opens a stream to the listener on that overlay port
 *   0x31       OPEN_OK              stream id: the listener accepted the stream
 *   0x32       PMTU_PROBE           nothing; the probe is padded with PADDING to its size (ack-eliciting)
 * </pre>
 *
 * <p>All frames except PADDING, ACK and CONNECTION_CLOSE are ack-eliciting (RFC 9002 (2)).
 *
 * <h2>Validation</h2>
 *
 * <p>{@link dev.overlay.wire.frame.FrameParser} throws {@link dev.overlay.wire.frame.FrameException}
 * (and nothing else, on any input) naming the frame and field when:
 *
 * <ul>
 *   <li>the marker is not 0x10, or no frame follows the packet number (RFC 9000 12.4);
 *   <li>a frame type is unknown (RFC 9000 12.4) or a frame is truncated;
 *   <li>an ACK's first range exceeds its largest acknowledged, or a gap or range length would go
 *       below packet number 0 (RFC 9000 19.3.1), or it has more than 256 ranges;
 *   <li>a STREAM's offset + length exceeds 2^62-1 (RFC 9000 19.8), or its length exceeds the
 *       bytes left (a STREAM without LEN is the last frame by construction);
 *   <li>an OPEN port exceeds 65535;
 *   <li>a CONNECTION_CLOSE reason is longer than 1024 bytes or than the bytes left.
 * </ul>
 *
 * <p>The parser allocates nothing per frame: it reports frames to a
 * {@link dev.overlay.wire.frame.FrameVisitor} as primitives, STREAM data as absolute indexes into
 * the packet buffer, and ACKs through one reused {@link dev.overlay.wire.frame.AckFrame}.
 * {@link dev.overlay.wire.frame.FrameWriter} writes the same format, with a size function per frame.
 */
package dev.overlay.wire.frame;
