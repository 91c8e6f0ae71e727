/**
 * A node's replicas of the namespaces it serves: one {@link
 * dev.cairn.actors.replica.NamespaceReplica} per namespace applies the committed events its leader
 * publishes, in revision order, to a keyspace state of its own, and serves the node's serializable
 * reads and watches from it; {@link dev.cairn.actors.replica.Replicas} finds or starts them and is
 * what {@link dev.cairn.actors.namespace.Namespaces} hands those requests to.
 *
 * <p>Depends on the namespace and watch packages; neither depends on it. Must not depend on HTTP.
 */
package dev.cairn.actors.replica;
