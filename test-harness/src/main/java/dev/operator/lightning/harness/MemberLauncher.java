package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.Pod;

/** Starts the process of a member pod on its own loopback address. */
@FunctionalInterface
public interface MemberLauncher {
  MemberProcess launch(Pod pod, String listenIp);
}
