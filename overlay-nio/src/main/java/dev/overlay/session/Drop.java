package dev.overlay.session;

/**
 * Why an incoming datagram, an outgoing staged packet or a candidate address was dropped. Each is
 * counted.
 */
public enum Drop {
    MALFORMED("shorter than its header, reserved bits set, or wrong length for its type"),
    UNKNOWN_TYPE("unknown message type"),
    BAD_MAC1("handshake message not addressed to this node (mac1 mismatch)"),
    HANDSHAKE_FAILED("handshake message did not authenticate (Noise decryption or low-order key)"),
    REPLAYED_INITIATION("initiation timestamp not newer than the last accepted one from that peer"),
    INITIATION_FLOOD("initiation less than 20 ms after the previous one from that peer"),
    REFUSED_PEER("peer key refused by the accept policy"),
    PEER_LIMIT("too many peers; new peer not admitted"),
    UNKNOWN_INDEX("no session or pending handshake has that receiver index"),
    REPLAY("counter replayed or older than the replay window"),
    EXPIRED_KEY("keypair older than reject-after"),
    BAD_TAG("transport packet failed AES-GCM authentication"),
    STAGED_OVERFLOW("packet waiting for a handshake or a path pushed out by newer ones (128 packets or 256 KiB per peer)"),
    STAGED_LIMIT("packet not staged: all peers' waiting packets together hold 16 MiB"),
    FORGOTTEN("packet waiting for a peer that was forgotten"),
    UNREACHABLE("packet waiting for a handshake that gave up"),
    MALFORMED_PROBE("PATH_CHALLENGE or PATH_RESPONSE payload not exactly 9 bytes"),
    UNEXPECTED_PATH_RESPONSE("PATH_RESPONSE that echoes no challenge we sent to its source address"),
    RELAY_TOO_BIG("sealed datagram too large to relay (65 bytes of wrapping would exceed the UDP limit)"),
    BAD_CANDIDATE("candidate address that can never be a peer's: unresolved, wildcard, multicast, broadcast, port 0,"
            + " or of an address family our socket cannot reach");

    private final String meaning;

    Drop(String meaning) {
        this.meaning = meaning;
    }

    /** A one-line explanation for status output. */
    public String meaning() {
        return meaning;
    }
}
