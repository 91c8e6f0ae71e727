package dev.cairn.bench.load.target;

/** Called exactly once per operation, on whatever thread observed its end. */
@FunctionalInterface
public interface Completion {
  void complete(Outcome outcome);
}
