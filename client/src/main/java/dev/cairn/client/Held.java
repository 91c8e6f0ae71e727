package dev.cairn.client;

import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * A recipe's grant held by a lease the client keeps alive ({@link LeaseBound}): read-write lock
 * grants, semaphore permits, a barrier's hold, a double-barrier membership, a queue claim, a
 * service registration. {@link #value()} is what the recipe answered; {@link #lost()} fails with
 * {@link LeaseLostException} when the lease is lost; {@link #close()} lets go of it as the recipe
 * does and revokes the lease.
 *
 * @param <G> the recipe's grant
 */
public final class Held<G> extends LeaseBound {
  private final G value;
  private final Function<G, CompletionStage<?>> letGo;

  Held(
      CairnClient client,
      long lease,
      boolean ownLease,
      G value,
      Function<G, CompletionStage<?>> letGo) {
    super(client, lease, ownLease);
    this.value = value;
    this.letGo = letGo;
  }

  /** The recipe's grant (a {@code RwLock.Grant}, a {@code Semaphore.Grant}, …). */
  public G value() {
    return value;
  }

  @Override
  CompletionStage<?> letGo() {
    return letGo.apply(value);
  }
}
