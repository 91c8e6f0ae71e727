/**
 * Fan-out of committed changes to watchers: a {@link dev.cairn.actors.watch.WatchHub} per namespace
 * receives each committed revision once from the leader and delivers it to every matching
 * subscription, in revision order, with no gap and no duplicate.
 *
 * <p>Must not depend on HTTP.
 */
package dev.cairn.actors.watch;
