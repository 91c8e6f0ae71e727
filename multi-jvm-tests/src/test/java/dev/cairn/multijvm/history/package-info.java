/**
 * Histories of concurrent clients and the check that they are linearizable.
 *
 * <p>A {@link dev.cairn.multijvm.history.History} records each operation a client invokes on a key
 * (a read, a write, a delete or a compare-and-set) with its invoke and complete times as the client
 * saw them; an operation whose outcome the client does not know (a timeout, a dropped connection)
 * completes at infinity. {@link dev.cairn.multijvm.history.Linearizability} decides, per key,
 * whether some order of the operations that respects real time explains every answer under a
 * single-register model. Depends on nothing of Cairn: it judges what clients saw.
 */
package dev.cairn.multijvm.history;
