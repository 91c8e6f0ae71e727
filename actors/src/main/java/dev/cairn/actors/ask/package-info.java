/** Asking actors from Java without the JDK common pool. */
package dev.cairn.actors.ask;
