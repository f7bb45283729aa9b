package dev.operator.lightning.reconcile;

/** Where the POST of a Kubernetes Event runs: {@link EventLanes} in the operator. */
public interface EventSender {
  /** Posts in the caller's thread: for tests that count a pass's requests exactly. */
  EventSender IN_PASS = (clusterKey, post) -> post.run();

  /**
   * Runs {@code post} now or later; posts of one cluster run in the order they were sent.
   *
   * @param clusterKey the cluster's namespace/name
   */
  void send(String clusterKey, Runnable post);
}
