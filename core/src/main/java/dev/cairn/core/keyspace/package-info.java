/**
 * The keyspace state machine: {@link dev.cairn.core.keyspace.Keyspace#decide decide} turns a {@link
 * dev.cairn.core.keyspace.Command} into events or a rejection, {@link
 * dev.cairn.core.keyspace.Keyspace#apply apply} folds an {@link dev.cairn.core.keyspace.Event} into
 * the {@link dev.cairn.core.keyspace.KeyspaceState}, and {@link
 * dev.cairn.core.keyspace.Keyspace#query query} answers reads.
 *
 * <p>All semantics live here. Deterministic: no clock, randomness or node-local configuration is
 * read in {@code apply}; whatever is chosen (sequential suffixes, lease ids) is chosen in {@code
 * decide} and written into the event. Must not depend on Pekko, actors or HTTP.
 */
package dev.cairn.core.keyspace;
