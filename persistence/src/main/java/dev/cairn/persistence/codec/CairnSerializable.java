package dev.cairn.persistence.codec;

/** Marks a record that {@link CairnSerializer} encodes (bound to it in configuration). */
public interface CairnSerializable {}
