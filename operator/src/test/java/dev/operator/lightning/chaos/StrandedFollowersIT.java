package dev.operator.lightning.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.harness.InvariantMonitor;
import dev.operator.lightning.harness.NodeLoss;
import dev.operator.lightning.harness.PodPartition;
import dev.operator.lightning.it.DemoCluster;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Followers whose session ends while their connection to etcd hangs, with the real lnd. etcd's Go
 * election never looks at its own key again once it waits for the lower ones to go, and lnd gives
 * its election client no keep-alive: such a follower holds no key, yet the moment its connection
 * returns with every lower key gone, it starts as a leader beside the real one (the chaos campaign
 * saw it after a lost node: two members serving peers for a second). And when every follower is in
 * that state, nobody can lead until the connections return. The connections are made to hang by
 * cutting the followers off from etcd (packets dropped, as behind a lost node's etcd member); the
 * operator must restart such a follower, and the monitor must see one member serving peers at a
 * time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StrandedFollowersIT {
  private static final int TTL = 24;
  private static final Duration KEY_GONE = Duration.ofSeconds(TTL + 20L);
  private static final Duration RESTARTED = Duration.ofSeconds(20);

  private DemoCluster demo;
  private ChaosTarget target;
  private Client etcd;
  private InvariantMonitor monitor;

  /** One cluster for both cases, each starting from a whole cluster: a start costs 25 s. */
  @BeforeAll
  void startCluster() throws Exception {
    demo = start("stranded");
    demo.awaitLeader(null, Duration.ofSeconds(120));
    target = new ChaosTarget(demo);
    etcd = ChaosCampaignIT.etcdClient(demo);
    monitor = ChaosCampaignIT.monitor(demo, etcd);
  }

  @AfterAll
  void stopCluster() {
    if (monitor != null) {
      monitor.close();
    }
    if (etcd != null) {
      etcd.close();
    }
    if (demo != null) {
      demo.close();
    }
  }

  @Test
  void aFollowerWhoseSessionEndedWhileCutOffIsRestartedBeforeItCanStartBesideTheLeader()
      throws Exception {
    String leader = ChaosCampaignIT.awaitStable(demo, monitor);
    Instant from = Instant.now();
    // The follower next in line: once the leader's key goes, no lower key is left for it.
    String stranded = awaitThreeKeys(demo, etcd).get(1);
    String uid = pod(demo, stranded).getMetadata().getUid();
    try (PodPartition cut =
        PodPartition.cut(demo.cluster.nodes().netns(stranded), target.etcdEndpoints())) {
      Instant struck = Instant.now();
      awaitKeyGone(demo, etcd, stranded);
      Instant gone = Instant.now();
      awaitReplaced(demo, stranded, uid);
      System.out.printf(
          "%s cut off from etcd: key gone %d ms, process ended %d ms after the cut%n",
          stranded,
          Duration.between(struck, gone).toMillis(),
          Duration.between(struck, Instant.now()).toMillis());
      // Its old process is gone: take the leader away, as the lost node did in the campaign.
      demo.cluster.nodes().killContainer(leader);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .alias("a member other than " + leader + " active and routed")
          .until(
              () ->
                  ChaosCampaignIT.servingLeader(monitor, struck)
                      .filter(l -> !l.equals(leader))
                      .isPresent());
    }
    ChaosCampaignIT.awaitStable(demo, monitor);
    assertOneServingAtATime(monitor, from);
  }

  @Test
  void whenEveryFollowerIsStrandedBehindALostNodeTheyAreRestartedAndOneLeads() throws Exception {
    String leader = ChaosCampaignIT.awaitStable(demo, monitor);
    Instant from = Instant.now();
    List<String> followers = awaitThreeKeys(demo, etcd).subList(1, 3);
    List<String> uids = followers.stream().map(f -> uid(demo, f)).toList();
    List<String> endpoints = target.etcdEndpoints();
    List<PodPartition> cuts = new ArrayList<>();
    try {
      for (String f : followers) {
        cuts.add(PodPartition.cut(demo.cluster.nodes().netns(f), endpoints));
      }
      // Lose the leader's node once both followers missed keep-alives (sent every third of
      // the TTL), so their sessions end well before the leader's: none of them is ever the
      // election's leader, and until the cuts heal nobody could lead without the operator
      // restarting them.
      Instant followersCut = Instant.now();
      Map<String, Long> leases = leases(demo, etcd);
      await()
          .atMost(Duration.ofSeconds(TTL))
          .pollInterval(Duration.ofMillis(200))
          .alias("both followers' leases " + followers + " past a missed keep-alive")
          .until(
              () -> {
                for (String f : followers) {
                  // Kept alive, a lease never has less than two thirds of its TTL left;
                  // below a third, two keep-alives were missed.
                  if (remainingTtl(etcd, leases.get(f)) >= TTL / 3) {
                    return false;
                  }
                }
                return true;
              });
      try (NodeLoss loss = demo.cluster.nodes().loseNodeOf(leader)) {
        Instant struck = Instant.now();
        await()
            .atMost(KEY_GONE.plus(Duration.ofSeconds(60)))
            .pollInterval(Duration.ofMillis(100))
            .alias(
                "a member other than "
                    + leader
                    + " active and routed while every follower's etcd connection hangs")
            .until(
                () ->
                    ChaosCampaignIT.servingLeader(monitor, struck)
                        .filter(l -> !l.equals(leader))
                        .isPresent());
        System.out.printf(
            "followers %s cut off from etcd, then leader %s lost with its node %d ms later: %s"
                + " active and routed %d ms after the loss%n",
            followers,
            leader,
            Duration.between(followersCut, struck).toMillis(),
            ChaosCampaignIT.servingLeader(monitor, struck).orElseThrow(),
            Duration.between(struck, Instant.now()).toMillis());
        for (int i = 0; i < followers.size(); i++) {
          assertThat(uid(demo, followers.get(i)))
              .as("%s, stranded, was replaced by a new pod", followers.get(i))
              .isNotEqualTo(uids.get(i));
        }
      }
    } finally {
      cuts.forEach(PodPartition::close);
    }
    ChaosCampaignIT.awaitStable(demo, monitor);
    assertOneServingAtATime(monitor, from);
  }

  private static DemoCluster start(String ns) {
    DemoCluster demo = DemoCluster.start(ns);
    LightningCluster lc = demo.demo();
    lc.getSpec().election.leaderSessionTtlSeconds = TTL;
    demo.apply(lc);
    return demo;
  }

  private static void assertOneServingAtATime(InvariantMonitor monitor, Instant from) {
    InvariantMonitor.Windows w = monitor.windows(from, Instant.now());
    System.out.printf(
        "monitor: both active %d ms, both serving %d ms %s, violations %s%n",
        w.bothActiveMs(), w.bothServingMs(), w.servingOverlaps(), w.violations());
    assertThat(w.violations()).as("violations the monitor saw").isEmpty();
    // Not "both active": a leader lost with its node keeps reporting SERVER_ACTIVE from inside
    // its pod through a shutdown that waits for etcd, with its P2P port closed.
    assertThat(w.bothServingMs()).as("ms two members served peers at once").isZero();
  }

  /** The members holding election keys, lowest create revision (the leader) first. */
  private static List<String> awaitThreeKeys(DemoCluster demo, Client etcd) {
    List<List<String>> seen = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .alias("three members each holding one election key")
        .until(
            () -> {
              List<String> ids = keyHolders(demo, etcd);
              seen.add(ids);
              return ids.size() == 3 && ids.stream().distinct().count() == 3;
            });
    return seen.get(seen.size() - 1);
  }

  private static void awaitKeyGone(DemoCluster demo, Client etcd, String member) {
    await()
        .atMost(KEY_GONE)
        .pollInterval(Duration.ofMillis(200))
        .alias(member + "'s election key gone with its session")
        .until(() -> !keyHolders(demo, etcd).contains(member));
  }

  /** The operator ends the stranded process: its pod is deleted and a new one takes its name. */
  private static void awaitReplaced(DemoCluster demo, String member, String uid) {
    await()
        .atMost(RESTARTED)
        .pollInterval(Duration.ofMillis(100))
        .alias(member + " (pod " + uid + "), waiting without a key, restarted by the operator")
        .until(
            () -> {
              Pod p = pod(demo, member);
              return p == null
                  || p.getMetadata().getDeletionTimestamp() != null
                  || !uid.equals(p.getMetadata().getUid());
            });
  }

  /** Each key holder's session lease, from the key's name ({@code prefix/<hex lease id>}). */
  private static Map<String, Long> leases(DemoCluster demo, Client etcd) throws Exception {
    Map<String, Long> out = new HashMap<>();
    for (KeyValue kv : keys(demo, etcd)) {
      String key = kv.getKey().toString(StandardCharsets.UTF_8);
      out.put(
          kv.getValue().toString(StandardCharsets.UTF_8),
          Long.parseUnsignedLong(key.substring(key.lastIndexOf('/') + 1), 16));
    }
    return out;
  }

  /** Seconds left on a lease, as etcd counts them; -1 once it expired. */
  private static long remainingTtl(Client etcd, long lease) throws Exception {
    return etcd.getLeaseClient()
        .timeToLive(lease, LeaseOption.DEFAULT)
        .get(5, TimeUnit.SECONDS)
        .getTTL();
  }

  private static List<String> keyHolders(DemoCluster demo, Client etcd) throws Exception {
    return keys(demo, etcd).stream()
        .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8))
        .toList();
  }

  private static List<KeyValue> keys(DemoCluster demo, Client etcd) throws Exception {
    String prefix = "/lightning-operator/" + demo.ns + "/" + DemoCluster.NAME + "/leader/";
    return etcd
        .getKVClient()
        .get(
            ByteSequence.from(prefix, StandardCharsets.UTF_8),
            GetOption.builder().isPrefix(true).build())
        .get(5, TimeUnit.SECONDS)
        .getKvs()
        .stream()
        .sorted(Comparator.comparingLong(KeyValue::getCreateRevision))
        .toList();
  }

  private static Pod pod(DemoCluster demo, String name) {
    return demo.client().pods().inNamespace(demo.ns).withName(name).get();
  }

  private static String uid(DemoCluster demo, String name) {
    Pod p = pod(demo, name);
    return p == null ? null : p.getMetadata().getUid();
  }
}
