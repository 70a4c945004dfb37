/**
 * The rendezvous: a node that accepts any key, keeps soft-state registrations, answers lookups by
 * key or handle, and relays sealed datagrams between nodes it holds sessions with.
 *
 * <p>Everything here is clock-free and does no I/O: every method that depends on time takes
 * {@code now} in nanoseconds, and replies go through a callback the caller supplies. The layouts
 * and rules are in docs/nat-traversal.md.
 *
 * <ul>
 *   <li>{@link dev.overlay.rendezvous.Messages}: encode/decode of the payload kinds 0x05..0x0c.
 *   <li>{@link dev.overlay.rendezvous.KeyExchange}: the cleartext KEY_REQUEST / KEY_RESPONSE pair.
 *   <li>{@link dev.overlay.rendezvous.Registry}: soft-state registrations and the handle index.
 *   <li>{@link dev.overlay.rendezvous.SourceLimiter}: token buckets per source address.
 *   <li>{@link dev.overlay.rendezvous.RendezvousService}: the server logic on top of them.
 * </ul>
 */
package dev.overlay.rendezvous;
