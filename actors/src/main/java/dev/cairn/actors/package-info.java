/**
 * Actors that wrap the keyspace state machine: namespace leaders (event sourced, placed by Cluster
 * Sharding), the namespace registry, and the watch subscriptions they feed.
 *
 * <p>Depends on core and persistence; must not depend on HTTP.
 */
package dev.cairn.actors;
