/**
 * The key-value API: {@code /v1/kv/{key}} (put, get, range, delete, sequential create), {@code
 * /v1/txn} and {@code /v1/compact}. Translates HTTP to keyspace commands and reads, and replies to
 * JSON; holds no state.
 */
package dev.cairn.http.kv;
