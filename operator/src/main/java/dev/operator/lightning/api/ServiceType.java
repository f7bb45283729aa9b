package dev.operator.lightning.api;

/** The Kubernetes Service types the leader Service may take. */
public enum ServiceType {
  ClusterIP,
  NodePort,
  LoadBalancer
}
