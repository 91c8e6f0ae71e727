/**
 * Value types shared by every layer: {@link dev.cairn.core.Bytes}, {@link dev.cairn.core.KeyValue},
 * {@link dev.cairn.core.ErrorCode}, {@link dev.cairn.core.Rejection} and {@link
 * dev.cairn.core.Limits}.
 *
 * <p>Depends on the JDK and Jackson annotations only; never on Pekko, actors or HTTP (the build
 * enforces it).
 */
package dev.cairn.core;
