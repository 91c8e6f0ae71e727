/**
 * Leader election with fencing tokens ({@link dev.cairn.recipes.election.Election}), after etcd's
 * {@code concurrency.Election}, written only against {@link dev.cairn.recipes.CairnClient}.
 *
 * <p>Depends on core's value types and the client interface; no Pekko, no server code.
 */
package dev.cairn.recipes.election;
