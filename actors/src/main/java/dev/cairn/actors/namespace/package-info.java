/**
 * One namespace = one {@link dev.cairn.actors.namespace.NamespaceLeader}: the single writer of its
 * keyspace, event sourced under persistence id {@code ns|<name>}, placed by Cluster Sharding.
 * {@link dev.cairn.actors.namespace.Namespaces} is the entry point other layers use.
 *
 * <p>Must not depend on HTTP.
 */
package dev.cairn.actors.namespace;
