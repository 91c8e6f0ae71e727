/**
 * Operations endpoints: {@code /health}, {@code /ready}, {@code /metrics} and the OpenAPI document.
 */
package dev.cairn.http.ops;
