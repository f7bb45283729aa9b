package dev.operator.lightning.harness;

import java.time.Duration;

/**
 * The kubelet's wait before it starts a failed container again: the first restart at once, then 10
 * s doubling to 5 min, forgotten once the container has run for 10 minutes (Kubernetes 1.34). A
 * kubelet with the {@code KubeletCrashLoopBackOffMax} feature takes a shorter longest wait from its
 * configuration ({@code crashLoopBackOff.maxContainerRestartPeriod}); the system property {@value
 * #MAX_PROPERTY} (seconds) gives the sandbox kubelets the same setting. A long campaign kills the
 * same etcd and lnd members again and again: its waits for the cluster to be whole again took a
 * third of a run (up to 3 min after one etcd member's kill) and measured nothing.
 *
 * @param initial the wait before the second restart
 * @param max the longest wait
 */
public record CrashLoopBackOff(Duration initial, Duration max) {
  public static final String MAX_PROPERTY = "harness.kubelet.maxContainerRestartPeriodSeconds";

  static final Duration KUBELET_INITIAL = Duration.ofSeconds(10);
  static final Duration KUBELET_MAX = Duration.ofMinutes(5);

  /** The kubelet forgets the waits of a container that ran this long, whatever the longest. */
  static final Duration RESET_AFTER = Duration.ofMinutes(10);

  /** The kubelet's defaults. */
  public static CrashLoopBackOff kubeletDefault() {
    return new CrashLoopBackOff(KUBELET_INITIAL, KUBELET_MAX);
  }

  /** With a configured longest wait, as the kubelet takes it: the first is never longer. */
  public static CrashLoopBackOff withMax(Duration max) {
    if (max.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("the longest restart wait must be at least 1 s: " + max);
    }
    return new CrashLoopBackOff(max.compareTo(KUBELET_INITIAL) < 0 ? max : KUBELET_INITIAL, max);
  }

  /** From {@value #MAX_PROPERTY} when set, the kubelet's defaults otherwise. */
  public static CrashLoopBackOff configured() {
    String seconds = System.getProperty(MAX_PROPERTY, "");
    return seconds.isBlank()
        ? kubeletDefault()
        : withMax(Duration.ofSeconds(Long.parseLong(seconds.strip())));
  }

  /** The wait after one of {@code previous} (zero: the restart that came at once). */
  public Duration next(Duration previous) {
    if (previous.isZero()) {
      return initial;
    }
    Duration doubled = previous.multipliedBy(2);
    return doubled.compareTo(max) > 0 ? max : doubled;
  }

  /** Whether a container that ran this long starts over with an immediate restart. */
  public boolean forgets(Duration ranFor) {
    return ranFor.compareTo(RESET_AFTER) >= 0;
  }
}
