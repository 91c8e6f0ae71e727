/**
 * The wire and disk format of Cairn's persisted types: keyspace events and snapshots, encoded as
 * CBOR by Jackson behind a Pekko serializer whose manifest carries an explicit format version.
 *
 * <p>Depends on core value types and Pekko serialization; must not depend on actors or HTTP.
 */
package dev.cairn.persistence.codec;
