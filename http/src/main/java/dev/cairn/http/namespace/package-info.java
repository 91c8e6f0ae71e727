/** The namespace API: {@code /v1/namespaces} create, list and delete. */
package dev.cairn.http.namespace;
