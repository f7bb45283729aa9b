package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.Main;
import dev.operator.lightning.api.FailoverRecord;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.LndStandIn;
import dev.operator.lightning.model.Labels;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Leader routing, fast failover and fencing with the operator running against a real kube-apiserver
 * and a real etcd, members run as election-exact LND stand-ins. Every scenario checks invariant 1
 * on every EndpointSlice version, not only at the end.
 */
class LeaderRoutingIT {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static EtcdServer etcd;
  private static KubernetesClient client;
  private static Main.Running operator;

  @BeforeAll
  static void start() {
    client = ApiServerSupport.client();
    etcd = EtcdServer.start();
    operator = Main.start(client, Main.Settings.forTests());
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @org.junit.jupiter.api.extension.RegisterExtension
  final NoFailedReconciliations noFailedReconciliations =
      new NoFailedReconciliations(() -> operator);

  private static MemberScenario scenario(String prefix, String name, Integer ttl, String etcdNs) {
    return new MemberScenario(client, etcd, prefix, name, ttl, etcdNs);
  }

  @Test
  void routesOnlyTheLeaderAndLabelsRoles() {
    try (MemberScenario s = scenario("route", "alpha", null, null)) {
      String leader = s.awaitRoutedLeader(null);
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () -> {
                LightningClusterStatus st = s.status();
                assertThat(st.phase).isEqualTo("Running");
                assertThat(st.members).extracting(m -> m.role).containsOnly("leader", "follower");
                assertThat(st.members)
                    .filteredOn(m -> "leader".equals(m.role))
                    .extracting(m -> m.pod)
                    .containsExactly(leader);
                assertThat(st.members)
                    .filteredOn(m -> m.pod.equals(leader))
                    .extracting(m -> m.lndState)
                    .containsExactly("SERVER_ACTIVE");
                assertThat(st.members)
                    .filteredOn(m -> !m.pod.equals(leader))
                    .extracting(m -> m.lndState)
                    .containsOnly("WAITING_TO_START");
                assertThat(
                        client
                            .pods()
                            .inNamespace(s.ns)
                            .withLabel(Labels.ROLE, "leader")
                            .list()
                            .getItems())
                    .extracting(p -> p.getMetadata().getName())
                    .containsExactly(leader);
                assertThat(st.conditions)
                    .anySatisfy(
                        c -> {
                          assertThat(c.getType()).isEqualTo("LeaderElected");
                          assertThat(c.getStatus()).isEqualTo("True");
                        });
              });
      assertThat(s.events("LeaderElected")).anyMatch(m -> m.contains(leader));
      s.assertInvariantHeld();
    }
  }

  @Test
  void gracefulDeletionOfTheLeaderHandsOverByResigning() {
    try (MemberScenario s = scenario("resign", "beta", null, null)) {
      String first = s.awaitRoutedLeader(null);
      client.pods().inNamespace(s.ns).withName(first).delete();
      String second = s.awaitRoutedLeader(first);
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () -> {
                LightningClusterStatus st = s.status();
                assertThat(st.failover.count).isEqualTo(1);
                FailoverRecord r = st.failover.recent.get(0);
                assertThat(r.from).isEqualTo(first);
                assertThat(r.to).isEqualTo(second);
                assertThat(r.cause).isEqualTo(FailoverRecord.RESIGNED);
              });
      assertThat(s.events("LeaseRevoked")).as("nothing to revoke after a resignation").isEmpty();
      // The deleted member comes back as a follower.
      await()
          .atMost(DEADLINE)
          .until(
              () ->
                  s.kubelet.member(first) != null
                      && "WAITING_TO_START".equals(s.kubelet.member(first).state()));
      s.assertInvariantHeld();
    }
  }

  @Test
  void leaderKilledHardFailsOverByLeaseRevocationWellUnderTheTtl() {
    int ttl = 90; // LND's default session TTL
    try (MemberScenario s = scenario("kill", "gamma", ttl, null)) {
      String first = s.awaitRoutedLeader(null);
      long leaseOfDead = s.kubelet.standIn(first).leaseId();
      // What the API server routes the moment the dead leader's key leaves the election: a read
      // made after seeing the deletion sees every slice write the operator finished before it.
      var routedWhenDeposed = new java.util.concurrent.atomic.AtomicReference<String>();
      String deadKey = s.electionPrefix + Long.toHexString(leaseOfDead);
      String second;
      Duration took;
      try (Client c = Client.builder().endpoints(etcd.url()).build();
          var deletion =
              c.getWatchClient()
                  .watch(
                      io.etcd.jetcd.ByteSequence.from(
                          deadKey, java.nio.charset.StandardCharsets.UTF_8),
                      r ->
                          r.getEvents().stream()
                              .filter(
                                  e ->
                                      e.getEventType()
                                          == io.etcd.jetcd.watch.WatchEvent.EventType.DELETE)
                              .findFirst()
                              .ifPresent(
                                  e ->
                                      routedWhenDeposed.compareAndSet(
                                          null, String.valueOf(s.routed()))))) {
        Instant killed = Instant.now();
        s.kubelet.killHard(first);
        second = s.awaitRoutedLeader(first);
        took = Duration.between(killed, Instant.now());
        await()
            .atMost(DEADLINE)
            .untilAsserted(
                () ->
                    assertThat(routedWhenDeposed.get())
                        .as("what the slice routed when %s left the election", deadKey)
                        .isNotNull());
      }
      assertThat(routedWhenDeposed.get())
          .as("the slice's ready endpoint when the dead leader's key was deleted")
          .isNotEqualTo(first);
      System.out.printf(
          "kill -9 of leader %s -> %s active and routed in %d ms (TTL %d s)%n",
          first, second, took.toMillis(), ttl);
      assertThat(took).as("failover time").isLessThan(Duration.ofSeconds(ttl / 2));
      // Proved dead by its container waiting to restart after it terminated, or by its
      // restarted process campaigning with a key of its own, whichever the operator saw first.
      assertThat(s.events("LeaseRevoked"))
          .anyMatch(
              m -> m.contains(first) && (m.contains("restarted") || m.contains("terminated")));
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () ->
                  assertThat(s.status().failover.recent)
                      .extracting(r -> r.cause)
                      .containsExactly(FailoverRecord.LEASE_REVOKED));
      assertThat(leaseTtl(leaseOfDead)).as("the dead leader's lease is gone").isEqualTo(-1);
      s.assertInvariantHeld();
    }
  }

  /**
   * A forced deletion removes the pod object at once, whether or not its process still runs (on an
   * unreachable node it would): that is no proof of death, so the lease is left to its TTL.
   */
  @Test
  void aForceDeletedLeaderPodIsNotTakenForDeadItsSessionRunsOut() {
    int ttl = 24; // the shortest: the failover waits for it
    try (MemberScenario s = scenario("gone", "delta", ttl, null)) {
      String first = s.awaitRoutedLeader(null);
      long lease = s.kubelet.standIn(first).leaseId();
      Instant deleted = Instant.now();
      client.pods().inNamespace(s.ns).withName(first).withGracePeriod(0).delete();
      s.awaitRoutedLeader(first);
      Duration took = Duration.between(deleted, Instant.now());
      assertThat(s.events("LeaseRevoked")).as("no revocation on a forced deletion").isEmpty();
      assertThat(took)
          .as("the failover waited for the session to run out")
          .isGreaterThan(Duration.ofSeconds(ttl * 2L / 3));
      assertThat(leaseTtl(lease)).as("the old leader's lease expired").isEqualTo(-1);
      s.assertInvariantHeld();
    }
  }

  @Test
  void aDeposedLeaderStillClaimingToBeActiveIsFenced() {
    try (MemberScenario s = scenario("fence", "eps", 90, null)) {
      String first = s.awaitRoutedLeader(null);
      LndStandIn deposed = s.kubelet.standIn(first);
      String oldUid = client.pods().inNamespace(s.ns).withName(first).get().getMetadata().getUid();
      // Its session ends behind its back (as after a partition), but like LND between two leader
      // health checks it keeps serving as active.
      try (Client c = Client.builder().endpoints(etcd.url()).build()) {
        c.getLeaseClient().revoke(deposed.leaseId()).get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      assertThat(deposed.active()).isTrue();
      s.awaitRoutedLeader(first);
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () -> {
                assertThat(s.events("Fenced")).anyMatch(m -> m.startsWith(first));
                assertThat(s.kubelet.lastDeletionGraceSeconds(first))
                    .as("fenced at once: the shortest graceful deletion, never a forced one")
                    .isEqualTo(1L);
                var pod = client.pods().inNamespace(s.ns).withName(first).get();
                assertThat(pod == null || !pod.getMetadata().getUid().equals(oldUid))
                    .as("fenced pod deleted")
                    .isTrue();
              });
      assertThat(s.status().failover.recent)
          .extracting(r -> r.cause)
          .containsExactly(FailoverRecord.LEASE_EXPIRED);
      s.assertInvariantHeld();
    }
  }

  /**
   * A frozen leader (session no longer kept alive, nothing answered, its container running) is
   * deposed at its session's end and its pod deleted in the pass that sees the election move,
   * before that pass waits on a read of the frozen member: the sooner the deletion, the likelier
   * its kill lands before the process wakes beside its successor.
   */
  @Test
  void aFrozenLeaderIsFencedBeforeThePassWaitsOnItsState() {
    try (MemberScenario s = scenario("frozen", "omega", 24, null)) {
      String first = s.awaitRoutedLeader(null);
      LndStandIn frozen = s.kubelet.standIn(first);
      frozen.freeze();
      try {
        // Its session ends at its TTL; watched closely, so the deletion's time is its own.
        Instant deleted =
            await()
                .atMost(DEADLINE.plusSeconds(24))
                .pollInterval(Duration.ofMillis(20))
                .until(
                    () -> s.kubelet.lastDeletionGraceSeconds(first) == null ? null : Instant.now(),
                    java.util.Objects::nonNull);
        String second = s.awaitRoutedLeader(first);
        Instant successorActive = s.kubelet.standIn(second).activeSince();
        Duration gap = Duration.between(successorActive, deleted);
        System.out.printf(
            "frozen leader %s: pod deletion seen %d ms after %s became active%n",
            first, gap.toMillis(), second);
        assertThat(gap)
            .as(
                "successor active -> the frozen leader's pod deleted (a state read of it waits %s)",
                dev.operator.lightning.lnd.LndRestClient.READ_TIMEOUT)
            .isLessThan(dev.operator.lightning.lnd.LndRestClient.READ_TIMEOUT);
        assertThat(s.kubelet.lastDeletionGraceSeconds(first))
            .as("the shortest graceful deletion, never a forced one")
            .isEqualTo(1L);
        assertThat(s.events("Fenced")).anyMatch(m -> m.startsWith(first));
        s.assertInvariantHeld();
      } finally {
        frozen.thaw();
      }
    }
  }

  @Test
  void aBrokenAndCompactedWatchIsListedAgainAndNeverRoutesAStaleLeader() throws Exception {
    try (MemberScenario s = scenario("watch", "zeta", 90, null)) {
      String first = s.awaitRoutedLeader(null);
      String key = s.ns + "/" + s.name;
      operator.observer().breakWatch(key);
      s.kubelet.killHard(first);
      try (Client c = Client.builder().endpoints(etcd.url()).build()) {
        long rev =
            c.getKVClient()
                .get(io.etcd.jetcd.ByteSequence.from("x", java.nio.charset.StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS)
                .getHeader()
                .getRevision();
        c.getKVClient().compact(rev).get(5, TimeUnit.SECONDS);
      }
      String second = s.awaitRoutedLeader(first);
      assertThat(second).isNotEqualTo(first);
      // etcd itself goes away and comes back: every watch breaks for real.
      etcd.restart();
      client.pods().inNamespace(s.ns).withName(second).delete();
      s.awaitRoutedLeader(second);
      s.assertInvariantHeld();
    }
  }

  @Test
  void aSpecChangeReplacesMembersOneAtATimeLeaderLastAndMovesLeadershipOnce() {
    try (MemberScenario s = scenario("roll", "theta", 90, null)) {
      String leader = s.awaitRoutedLeader(null);
      await().atMost(DEADLINE).until(() -> "3/3".equals(s.status().ready));
      assertThat(s.events("Failover")).as("no failover before the roll").isEmpty();
      Clusters.edit(
          client,
          s.ns,
          "theta",
          lc -> {
            lc.getSpec().lnd = new dev.operator.lightning.api.LndSpec();
            lc.getSpec().lnd.extraArgs = java.util.List.of("--debuglevel=debug");
            return lc;
          });
      await()
          .atMost(Duration.ofSeconds(120))
          .untilAsserted(
              () -> {
                var pods = client.pods().inNamespace(s.ns).list().getItems();
                assertThat(pods)
                    .extracting(p -> p.getSpec().getContainers().get(0).getArgs())
                    .as("every member runs the new arguments")
                    .hasSize(3)
                    .allSatisfy(a -> assertThat(a).contains("--debuglevel=debug"));
                assertThat(s.status().ready).isEqualTo("3/3");
                assertThat(s.routed()).isNotNull();
              });
      assertThat(s.events("MemberReplaced")).hasSize(3);
      assertThat(s.events("MemberReplaced"))
          .as("the leader is replaced, and last")
          .filteredOn(e -> e.contains("(the leader, last)"))
          .singleElement()
          .asString()
          .contains("deleted member pod " + leader + " ");
      assertThat(s.events("Failover"))
          .as("leadership moves once, to a member already on the new spec")
          .singleElement()
          .asString()
          .contains("from " + leader);
      s.assertInvariantHeld();
    }
  }

  @Test
  void theOperatorCreatesTheWalletOnceAndKeepsItsSeedAndAdminCredentials() {
    int before = LndStandIn.walletsCreated();
    try (MemberScenario s =
        new MemberScenario(client, etcd, "wallet", "iota", 90, null, true, c -> {})) {
      String first = s.awaitRoutedLeader(null);
      var seed = client.secrets().inNamespace(s.ns).withName("iota-wallet-seed").get();
      assertThat(seed).as("seed Secret").isNotNull();
      assertThat(seed.getMetadata().getOwnerReferences())
          .as("the seed outlives the cluster")
          .isNullOrEmpty();
      String words =
          new String(java.util.Base64.getDecoder().decode(seed.getData().get("mnemonic")));
      assertThat(words.split(" ")).hasSize(24);
      var admin = client.secrets().inNamespace(s.ns).withName("iota-admin").get();
      assertThat(admin.getData()).containsKeys("admin.macaroon", "tls.crt", "ca.crt");
      assertThat(s.events("WalletCreated")).singleElement().asString().contains(first);

      // A new leader unlocks by itself: no second wallet.
      s.kubelet.killHard(first);
      s.awaitRoutedLeader(first);
      assertThat(LndStandIn.walletsCreated() - before).as("wallets created").isEqualTo(1);
      assertThat(s.events("WalletCreated")).hasSize(1);
      // No seed word in any event or in the status.
      String visible =
          String.join("\n", s.events("WalletCreated"))
              + io.fabric8.kubernetes.client.utils.Serialization.asJson(s.status());
      for (String w : words.split(" ")) {
        assertThat(visible).doesNotContain(w);
      }
      s.assertInvariantHeld();
    }
  }

  @Test
  void aWalletIsRestoredFromTheUsersSeedSecret() {
    java.util.List<String> words =
        java.util.stream.IntStream.range(0, 24).mapToObj(i -> "restore" + i).toList();
    try (MemberScenario s =
        new MemberScenario(
            client,
            etcd,
            "restore",
            "kappa",
            90,
            null,
            true,
            lc -> {
              client
                  .resource(
                      LightningClusterReconcilerIT.secret(
                          lc.getMetadata().getNamespace(),
                          "my-seed",
                          java.util.Map.of("mnemonic", String.join(" ", words))))
                  .create();
              lc.getSpec().wallet = new dev.operator.lightning.api.WalletSpec();
              lc.getSpec().wallet.seedSecretRef =
                  new dev.operator.lightning.api.SecretRef("my-seed");
            })) {
      s.awaitRoutedLeader(null);
      assertThat(LndStandIn.lastMnemonic())
          .as("the wallet was created from the user's seed")
          .isEqualTo(words);
      assertThat(s.events("WalletCreated")).singleElement().asString().contains("restored");
      assertThat(client.secrets().inNamespace(s.ns).withName("kappa-wallet-seed").get())
          .as("no generated seed beside the user's")
          .isNull();
      s.assertInvariantHeld();
    }
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> collidingPrefixes() {
    return java.util.stream.Stream.of(
        org.junit.jupiter.params.provider.Arguments.of("equal", "/c-equal/elect", "/c-equal/elect"),
        org.junit.jupiter.params.provider.Arguments.of(
            "inside", "/c-inside/elect", "/c-inside/elect/inner"),
        org.junit.jupiter.params.provider.Arguments.of(
            "containing", "/c-containing/elect", "/c-containing"));
  }

  /**
   * A newer cluster whose election would share keys with an older one on the same etcd is refused
   * (no member, no election followed), and the older cluster's leader, its lease and its routing
   * are never touched.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("collidingPrefixes")
  void aNewClusterWhoseElectionPrefixCollidesIsRefusedAndTheOlderLeaderIsUntouched(
      String relation, String olderPrefix, String newerPrefix) throws Exception {
    try (MemberScenario older =
        new MemberScenario(
            client,
            etcd,
            "older",
            "older",
            90,
            "collide/",
            false,
            lc -> keyPrefix(lc, olderPrefix))) {
      String leader = older.awaitRoutedLeader(null);
      long lease = older.kubelet.standIn(leader).leaseId();
      // Creation times have whole seconds; within the same second the order is by namespace and
      // name, and "newer" sorts before "older". Stand-ins elect in well under a second.
      awaitTheSecondAfterCreation(older);
      try (MemberScenario newer =
              new MemberScenario(
                  client,
                  etcd,
                  "newer",
                  "newer",
                  90,
                  "collide/",
                  false,
                  lc -> keyPrefix(lc, newerPrefix));
          Client c = Client.builder().endpoints(etcd.url()).build()) {
        assertRefusedBesideTheOlder(
            older, newer, leader, lease, "ElectionPrefixConflict", "same etcd");
        assertThat(older.events("LeaseRevoked")).isEmpty();
        assertThat(newer.events("LeaseRevoked")).isEmpty();
      }
      assertThat(older.status().failover == null || older.status().failover.count == 0)
          .as("no failover in the older cluster")
          .isTrue();
      older.assertInvariantHeld();
    }
  }

  /**
   * Creation times have whole seconds, and clusters created in one second are ordered by name (or
   * both refused): the newer one of a test is created in a later second.
   */
  private static void awaitTheSecondAfterCreation(MemberScenario older) {
    Instant created = Instant.parse(older.cluster().getMetadata().getCreationTimestamp());
    await()
        .atMost(Duration.ofSeconds(3))
        .until(() -> Instant.now().isAfter(created.plusSeconds(1)));
  }

  /**
   * The newer cluster is Degraded with {@code reason} naming the older one, has neither members nor
   * lnd.conf, and several passes later the older one's leader, lease and routing are as they were.
   */
  private static void assertRefusedBesideTheOlder(
      MemberScenario older,
      MemberScenario newer,
      String leader,
      long lease,
      String reason,
      String messagePart) {
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> {
              var d = LightningClusterReconcilerIT.condition(newer.status(), "Degraded");
              assertThat(d.getReason()).isEqualTo(reason);
              assertThat(d.getMessage())
                  .contains(older.ns + "/" + older.name, messagePart, "starts no member");
              assertThat(newer.events(reason)).isNotEmpty();
            });
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(older.routed()).as("the older cluster's leader").isEqualTo(leader);
              assertThat(leaseTtl(lease)).as("the older leader's lease").isPositive();
              assertThat(client.pods().inNamespace(newer.ns).list().getItems())
                  .as("members of the refused cluster")
                  .isEmpty();
              assertThat(
                      client
                          .secrets()
                          .inNamespace(newer.ns)
                          .withName(newer.name + "-lnd-config")
                          .get())
                  .as("lnd.conf of the refused cluster")
                  .isNull();
            });
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> sharedNamespaces() {
    return java.util.stream.Stream.of(
        org.junit.jupiter.params.provider.Arguments.of("equal", "tenant-a/", "tenant-a/"),
        org.junit.jupiter.params.provider.Arguments.of("whole key space", "tenant-b/", ""));
  }

  /**
   * A newer cluster whose LND data would land in an older cluster's etcd namespace (a copied
   * manifest) is refused before any member starts, though their elections never meet, and the older
   * cluster is untouched.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("sharedNamespaces")
  void aNewClusterWhoseDataWouldShareAnOlderClustersEtcdNamespaceIsRefused(
      String relation, String olderNamespace, String newerNamespace) throws Exception {
    try (MemberScenario older =
        new MemberScenario(client, etcd, "data-older", "older", 90, olderNamespace)) {
      String leader = older.awaitRoutedLeader(null);
      long lease = older.kubelet.standIn(leader).leaseId();
      awaitTheSecondAfterCreation(older);
      try (MemberScenario newer =
          new MemberScenario(client, etcd, "data-newer", "newer", 90, newerNamespace)) {
        assertRefusedBesideTheOlder(
            older, newer, leader, lease, "DataStoreConflict", "etcd key namespace");
        assertThat(LightningClusterReconcilerIT.condition(older.status(), "Degraded").getStatus())
            .as("the older cluster stays healthy")
            .isEqualTo("False");
      }
      older.assertInvariantHeld();
    }
  }

  /**
   * When the older cluster of a shared data store is deleted, the refused one starts its members
   * only once every member pod of the deleted one is gone: the deleted cluster's LND stops as its
   * pods go, not as its resource does.
   */
  @Test
  void aRefusedClusterWaitsForTheDeletedOlderClustersMembersToStop() throws Exception {
    try (MemberScenario older =
        new MemberScenario(client, etcd, "gone-older", "older", 90, "tenant-gone/")) {
      older.awaitRoutedLeader(null);
      awaitTheSecondAfterCreation(older);
      try (MemberScenario newer =
          new MemberScenario(client, etcd, "gone-newer", "newer", 90, "tenant-gone/")) {
        await()
            .atMost(DEADLINE)
            .untilAsserted(
                () ->
                    assertThat(
                            LightningClusterReconcilerIT.condition(newer.status(), "Degraded")
                                .getReason())
                        .isEqualTo("DataStoreConflict"));
        // The resource goes; its pods stay until deleted (no garbage collector here). A pass of
        // the refused cluster after the deletion says why it still waits (passes come at least
        // every 10 s), and through the passes of the next 11 s it starts nothing.
        client.resource(older.cluster()).delete();
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () ->
                    assertThat(
                            LightningClusterReconcilerIT.condition(newer.status(), "Degraded")
                                .getMessage())
                        .contains("is gone but", "member pods still exist"));
        await()
            .during(Duration.ofSeconds(11))
            .atMost(Duration.ofSeconds(15))
            .untilAsserted(
                () -> {
                  assertThat(client.pods().inNamespace(older.ns).list().getItems())
                      .as("the deleted cluster's member pods")
                      .isNotEmpty();
                  assertThat(client.pods().inNamespace(newer.ns).list().getItems())
                      .as("members of the refused cluster while the old members run")
                      .isEmpty();
                });
        client.pods().inNamespace(older.ns).delete();
        await()
            .atMost(DEADLINE)
            .untilAsserted(
                () ->
                    assertThat(client.pods().inNamespace(older.ns).list().getItems())
                        .as("the deleted cluster's member pods")
                        .isEmpty());
        newer.awaitRoutedLeader(null);
      }
    }
  }

  /**
   * A leader key whose cluster.id is no pod of this cluster (another cluster's leader campaigning
   * under the same prefix, written here before the cluster exists) is never revoked: the operator
   * cannot confirm that its process is dead. Once it goes by itself, the cluster's own member
   * leads.
   */
  @Test
  void aLeaderKeyOfNoPodOfThisClusterIsNeverRevoked() throws Exception {
    try (Client c = Client.builder().endpoints(etcd.url()).build()) {
      long[] foreign = new long[1];
      try (MemberScenario s =
          new MemberScenario(
              client,
              etcd,
              "foreign",
              "lambda",
              90,
              null,
              false,
              lc -> {
                String prefix =
                    lc.getSpec().etcd.external.namespace
                        + dev.operator.lightning.model.EffectiveSpec.of(lc).electionPrefix();
                try {
                  foreign[0] = c.getLeaseClient().grant(90).get(5, TimeUnit.SECONDS).getID();
                  c.getKVClient()
                      .put(
                          bytes(prefix + "/" + Long.toHexString(foreign[0])),
                          bytes("intruder-0"),
                          io.etcd.jetcd.options.PutOption.builder().withLeaseId(foreign[0]).build())
                      .get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                  throw new AssertionError(e);
                }
              })) {
        await()
            .atMost(DEADLINE)
            .untilAsserted(
                () -> {
                  var d = LightningClusterReconcilerIT.condition(s.status(), "Degraded");
                  assertThat(d.getMessage()).contains("intruder-0", "never revoked");
                  assertThat(s.status().leader.clusterId).isEqualTo("intruder-0");
                });
        await()
            .during(Duration.ofSeconds(3))
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () -> {
                  assertThat(leaseTtl(foreign[0])).as("the foreign leader's lease").isPositive();
                  assertThat(s.routed()).as("nothing routed to a foreign leader").isNull();
                });
        assertThat(s.events("LeaseRevoked")).isEmpty();
        c.getLeaseClient().revoke(foreign[0]).get(5, TimeUnit.SECONDS);
        s.awaitRoutedLeader(null);
        s.assertInvariantHeld();
      }
    }
  }

  /**
   * etcd stalls while the leader's pod is deleted: the leader cannot resign, its container is
   * reported terminated, and the revocation of its lease fails. The failure is a problem and an
   * event, the pass is retried, and the lease goes as soon as etcd answers again.
   */
  @Test
  void aFailedRevocationIsReportedAndRetriedUntilItSucceeds() {
    try (MemberScenario s = scenario("revoke", "omicron", 90, null)) {
      String first = s.awaitRoutedLeader(null);
      long deadLease = s.kubelet.standIn(first).leaseId();
      etcd.pause();
      try {
        client.pods().inNamespace(s.ns).withName(first).delete();
        // About 15 s alone: the member's resignation waits out its timeout on the stalled etcd
        // before its container ends, then the revocation waits out its 5 s.
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(
                () -> {
                  assertThat(s.events("LeaseRevocationFailed"))
                      .anyMatch(m -> m.contains("revoking the election lease of " + first));
                  assertThat(
                          LightningClusterReconcilerIT.condition(s.status(), "Degraded")
                              .getMessage())
                      .contains("revoking the election lease of " + first, "session TTL");
                });
      } finally {
        etcd.resume();
      }
      // The revocation sent while etcd stalled may still be carried out when it wakes, or the
      // retry does it, or the resignation the member sent on its way out while etcd stalled is
      // carried out first: either way the dead leader's key goes well before its TTL.
      s.awaitRoutedLeader(first);
      assertThat(leaseTtl(deadLease) == -1 || EtcdLeases.attachedKeys(etcd, deadLease) == 0)
          .as("the dead leader's lease, or its key, is gone")
          .isTrue();
      s.assertInvariantHeld();
    }
  }

  /**
   * An EndpointSlice write the API server refuses (here: the slice taken over by another owner) is
   * a problem with a reason and an event, and the cluster never claims to be serving meanwhile.
   */
  @Test
  void aRefusedRoutingWriteIsReportedAndNeverShownAsServing() {
    try (MemberScenario s = scenario("slice", "sigma", 90, null)) {
      String first = s.awaitRoutedLeader(null);
      var slices = client.discovery().v1().endpointSlices().inNamespace(s.ns);
      slices
          .withName("sigma-leader")
          .edit(
              e -> {
                e.getMetadata().setOwnerReferences(java.util.List.of());
                return e;
              });
      // The test's own check catches a slice routed to a member that does not lead.
      String follower =
          s.status().members.stream()
              .map(m -> m.pod)
              .filter(p -> !p.equals(first))
              .findFirst()
              .orElseThrow();
      slices
          .withName("sigma-leader")
          .edit(
              e -> {
                e.getEndpoints().get(0).getTargetRef().setName(follower);
                return e;
              });
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(s.invariant.violations())
                      .as("the invariant check on a slice routed to a follower")
                      .anyMatch(v -> v.contains("routed " + follower)));
      s.kubelet.killHard(first);
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () -> {
                LightningClusterStatus st = s.status();
                var ready = LightningClusterReconcilerIT.condition(st, "Ready");
                assertThat(ready.getStatus()).isEqualTo("False");
                assertThat(ready.getReason()).isEqualTo("RoutingFailed");
                assertThat(LightningClusterReconcilerIT.condition(st, "Degraded").getMessage())
                    .contains("EndpointSlice could not be written");
              });
      slices.withName("sigma-leader").delete();
      s.awaitRoutedLeader(first);
    }
  }

  /** The remaining TTL of a lease in the test etcd, -1 once it is gone. */
  private static long leaseTtl(long lease) {
    return EtcdLeases.ttl(etcd, lease);
  }

  private static void keyPrefix(dev.operator.lightning.api.LightningCluster lc, String prefix) {
    lc.getSpec().election.keyPrefix = prefix;
  }

  private static io.etcd.jetcd.ByteSequence bytes(String s) {
    return io.etcd.jetcd.ByteSequence.from(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void twoClustersOnOneEtcdWithDifferentPrefixesDoNotInterfere() {
    try (MemberScenario a = scenario("shared", "one", 90, null);
        MemberScenario b = scenario("shared", "two", 90, "tenant-b/")) {
      String leaderA = a.awaitRoutedLeader(null);
      String leaderB = b.awaitRoutedLeader(null);
      assertThat(operator.observer().openClients(etcd.endpoint()))
          .as("one etcd client for both")
          .isEqualTo(1);
      // b's election lies under its own key namespace, so the two watch different prefixes.
      assertThat(operator.observer().watchedPrefixes())
          .as("watched prefixes")
          .isGreaterThanOrEqualTo(2);
      assertThat(operator.observer().openWatches(etcd.endpoint()))
          .as("gRPC watch streams to the shared etcd, carrying both watches")
          .isEqualTo(1);
      a.kubelet.killHard(leaderA);
      a.awaitRoutedLeader(leaderA);
      assertThat(b.routed()).as("the other cluster keeps its leader").isEqualTo(leaderB);
      assertThat(b.status().failover == null || b.status().failover.count == 0).isTrue();
      a.assertInvariantHeld();
      b.assertInvariantHeld();
    }
  }
}
