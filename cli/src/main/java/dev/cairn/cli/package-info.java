/**
 * The {@code cairn} command line's client commands: {@code put}, {@code get}, {@code del}, {@code
 * txn}, {@code compact}, {@code watch}, {@code lease}, {@code lock}, {@code elect}, {@code
 * services}, {@code namespaces}, {@code cluster status}. A thin layer of picocli commands over the
 * Java client ({@code dev.cairn.client}): each command parses, calls the client, prints the answer
 * as text or JSON ({@link dev.cairn.cli.Output}) and exits with a documented code ({@link
 * dev.cairn.cli.Exit}).
 *
 * <p>Depends on the client and picocli only; never on the server's modules (the command line must
 * start fast and carry nothing of the server).
 */
package dev.cairn.cli;
