/** Lease keepalive benchmark: {@link dev.cairn.bench.lease.LeaseKeepalive}. (Commands to follow.) */
package dev.cairn.bench.lease;
