package dev.cairn.bench.lock;

/**
 * One lock service under test: it opens contenders, each with its own lease or session, all
 * contending for the same lock.
 */
interface LockPeer extends AutoCloseable {

  /**
   * What a turn is: a lock's acquire → release; a semaphore's (N permits) acquire → release; a
   * queue's push → take (its acquire) → ack (its release).
   */
  enum Recipe {
    LOCK,
    SEMAPHORE,
    QUEUE
  }

  /** A contender of its own: its lease (or session) is made here and kept alive until close. */
  Contender open(int index) throws Exception;

  /** How the contenders talk to the service, for the result line. */
  String driver();

  @Override
  void close() throws Exception;

  /** One contender; used by one thread at a time. */
  interface Contender extends AutoCloseable {
    /** Blocks until this contender holds the lock. */
    void acquire() throws Exception;

    /** Releases the lock this contender holds. */
    void release() throws Exception;

    @Override
    void close() throws Exception;
  }
}
