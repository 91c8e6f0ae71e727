/**
 * The queue recipe: FIFO on sequential keys, claims bound to the taker's lease, explicit ack and
 * redelivery when a claim's lease ends (at-least-once). Written only against {@link
 * dev.cairn.recipes.CairnClient}; depends on core value types only.
 */
package dev.cairn.recipes.queue;
