/** The lease API: {@code /v1/leases} grant, keepalive, time-to-live, list and revoke. */
package dev.cairn.http.lease;
