package dev.operator.lightning.election;

/**
 * One campaigning member as LND's etcd election writes it: key {@code prefix/<hex lease>}, value
 * the member's {@code cluster.id}, attached to its session lease.
 */
public record Candidate(String key, long createRevision, long leaseId, String clusterId) {}
