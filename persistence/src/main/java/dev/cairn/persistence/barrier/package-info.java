/**
 * The journal side of read barriers: the {@link dev.cairn.persistence.barrier.LastWrite} question a
 * leader asks its journal to confirm that no successor has written since it recovered. Depends on
 * nothing of Cairn; journal plugins answer it, {@code actors} asks it.
 */
package dev.cairn.persistence.barrier;
