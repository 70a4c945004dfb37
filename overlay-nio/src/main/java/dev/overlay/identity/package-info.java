/**
 * Node identity: who a node is and how it is named.
 *
 * <p>Every node has a permanent X25519 keypair ({@link dev.overlay.identity.Identity}); its
 * public key is its address ({@link dev.overlay.identity.NodeId}), written as
 * {@code <52 base32 chars>.overlay} ({@link dev.overlay.identity.Base32}) and, for software that
 * only speaks IP, mapped to a stable IPv6 handle in {@code fd6f::/16}. The keypair is kept in an
 * owner-only text file ({@link dev.overlay.identity.KeyFile}).
 */
package dev.overlay.identity;
