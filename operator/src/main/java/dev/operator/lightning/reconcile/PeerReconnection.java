package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.NodeStatus;
import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.lnd.Macaroons;
import dev.operator.lightning.model.MemberPaths;
import dev.operator.lightning.model.Names;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the active leader's channels for a link lnd left down while the peer stayed connected,
 * and reconnects that peer once {@link StalledLinks} says so; and for a channel peer lnd left
 * unconnected, and dials it once {@link UnconnectedPeers} says so, at the address an earlier leader
 * dialled it at ({@link ChannelPeerAddresses}) or the one it announces. Costs one listing of the
 * peers per leader, to keep those addresses, and nothing else while GetInfo counts no inactive
 * channel: the leader's channels are listed only when it does.
 */
final class PeerReconnection {
  /** lnd closes the connection in the background after DisconnectPeer answers. */
  static final Duration GONE_LIMIT = Duration.ofSeconds(5);

  /** The event reasons: a peer reconnected, and a channel the reconnect did not bring up. */
  static final String RECONNECTED = "ChannelPeerReconnected";

  static final String NOT_RECOVERED = "ChannelLinkNotRecovered";

  /** The event reasons: a channel peer dialled, and one the dial did not bring back. */
  static final String DIALLED = "ChannelPeerDialled";

  static final String UNREACHED = "ChannelPeerUnreached";

  /** The event reason when lnd refused the dial at every address. */
  static final String DIAL_FAILED = "ChannelPeerDialFailed";

  private static final Duration GONE_POLL = Duration.ofMillis(100);
  private static final Logger log = LoggerFactory.getLogger(PeerReconnection.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Where a reconnection is reported: the cluster's Warning events. */
  interface Warnings {
    void warn(LightningCluster cluster, String reason, String message);
  }

  private final Function<Names, byte[]> rootKeys;
  private final Warnings warnings;
  private final Clock clock;
  private final AddressBook addressBook;
  private final Map<String, StalledLinks.Memory> memory = new ConcurrentHashMap<>();
  private final Map<String, UnconnectedPeers.Memory> away = new ConcurrentHashMap<>();

  /** Per cluster: the leader whose dialled addresses were last kept. */
  private final Map<String, String> learnedFrom = new ConcurrentHashMap<>();

  /** Where the addresses the leaders dialled their channel peers at are kept. */
  interface AddressBook {
    /** The kept addresses by pubkey; empty when none are kept. */
    Map<String, String> load(Names n);

    void save(LightningCluster cluster, Names n, Map<String, String> addresses);
  }

  /**
   * @param rootKeys a cluster's kept macaroon root key, or null when the operator keeps none (a
   *     wallet it did not create): nothing is reconnected then
   */
  PeerReconnection(
      Function<Names, byte[]> rootKeys, AddressBook addressBook, Warnings warnings, Clock clock) {
    this.rootKeys = rootKeys;
    this.addressBook = addressBook;
    this.warnings = warnings;
    this.clock = clock;
  }

  /** The kept macaroon root key, as the informer cache has it. */
  static byte[] keptRootKey(ClusterReads reads, Names n) {
    Secret s = reads.ownedSecret(n.namespace(), n.macaroonKeySecret());
    String key = s == null || s.getData() == null ? null : s.getData().get(WalletSetup.ROOT_KEY);
    return key == null ? null : Base64.getDecoder().decode(key);
  }

  /** lnd's state once its server has started: its connection manager runs from just before. */
  static final String SERVER_ACTIVE = "SERVER_ACTIVE";

  /**
   * @param leaderProcess identifies the leader's running lnd process (its pod's uid and container):
   *     what is remembered of stalls and dials is this process's, and a restarted lnd starts afresh
   * @param lndState the leader's state on this pass: an unconnected peer is counted only once lnd's
   *     server has started ({@link #SERVER_ACTIVE}), since lnd answers RPCs (RPC_ACTIVE) while its
   *     server still starts, and it dials its peers at the end of that start, which took over 30 s
   *     in one run
   * @param node what GetInfo said on this pass
   * @return when to look again while a stall is watched, or null
   */
  Duration watch(
      LightningCluster cluster,
      Names n,
      String leaderPod,
      String leaderProcess,
      String lndState,
      NodeStatus node,
      LndRestClient lnd) {
    String key = ElectionStep.key(cluster);
    StalledLinks.Memory prior = memory.getOrDefault(key, StalledLinks.Memory.none());
    UnconnectedPeers.Memory priorAway = away.getOrDefault(key, UnconnectedPeers.Memory.none());
    Instant now = clock.instant();
    boolean inactive = node != null && !zero(node.inactiveChannels);
    // Where the leader dialled its peers, for a later leader that does not: listed once per leader
    // process and again whenever its count of peers or channels changes.
    String counts = node == null ? null : leaderProcess + " " + node.peers + " " + channels(node);
    boolean learn = node != null && !zero(node.peers) && !counts.equals(learnedFrom.get(key));
    if (!inactive) {
      // Every channel is active: nothing stalls, nothing waits to be seen active.
      memory.remove(key);
      away.remove(key);
      if (!learn) {
        return null;
      }
    }
    byte[] macaroon = macaroon(n);
    if (macaroon == null) {
      return null;
    }
    String host = leaderPod + "." + n.serviceHost(n.membersService());
    int port = MemberPaths.REST_PORT;
    Map<String, LndRestClient.Peer> peers;
    List<LndRestClient.Channel> listed;
    try {
      peers =
          zero(node.peers)
              ? Map.of()
              : lnd.listPeers(host, port, macaroon).stream()
                  .collect(Collectors.toMap(LndRestClient.Peer::pubkey, p -> p, (a, b) -> a));
      if (!peers.isEmpty()) {
        learnFrom(cluster, n, peers.values());
        learnedFrom.put(key, counts);
      }
      if (!inactive) {
        return null;
      }
      listed = lnd.listChannels(host, port, macaroon);
    } catch (IOException e) {
      log.debug("{}: listing {}'s channels and peers failed: {}", key, leaderPod, e.getMessage());
      return prior.stalledSince().isEmpty() && priorAway.unconnectedSince().isEmpty()
          ? null
          : StalledLinks.LOOK;
    }
    List<StalledLinks.Channel> channels =
        listed.stream()
            .map(c -> new StalledLinks.Channel(c.channelPoint(), c.remotePubkey(), c.active()))
            .toList();
    StalledLinks.Decision d =
        StalledLinks.decide(leaderProcess, channels, peers.keySet(), prior, now);
    remember(key, d.memory());
    for (String peer : d.reconnect()) {
      List<String> points = pointsOf(channels, peer, d.stalled());
      String done = reconnect(lnd, host, port, macaroon, peers.get(peer));
      warnings.warn(
          cluster,
          RECONNECTED,
          "channel(s) "
              + String.join(", ", points)
              + " of "
              + leaderPod
              + " inactive for "
              + StalledLinks.GRACE.toSeconds()
              + " s while peer "
              + peer
              + " stayed connected (lnd leaves a link that failed on a database error down until"
              + " the connection restarts): "
              + done);
    }
    for (String point : d.refused()) {
      warnings.warn(
          cluster,
          NOT_RECOVERED,
          "channel "
              + point
              + " of "
              + leaderPod
              + " is still inactive with its peer connected after the peer was reconnected: not"
              + " the stuck link a reconnect mends (the peer or lnd refuses the channel); it is"
              + " not reconnected for again while this leader leads. See lncli listchannels and"
              + " the lnd log on both sides");
    }
    if (!SERVER_ACTIVE.equals(lndState)) {
      // Its server still starts: look again soon, so the grace counts from about its end.
      away.remove(key);
      return StalledLinks.LOOK;
    }
    UnconnectedPeers.Decision u =
        UnconnectedPeers.decide(leaderProcess, channels, peers.keySet(), priorAway, now);
    UnconnectedPeers.Memory after = u.memory();
    Map<String, String> kept = u.dial().isEmpty() ? Map.of() : addressBook.load(n);
    for (String peer : u.dial()) {
      List<String> points = pointsOf(channels, peer, u.unconnected());
      Dial done = dial(lnd, host, port, macaroon, peer, kept.get(peer));
      if (done.outcome() != Dial.Outcome.DIALLED && done.outcome() != Dial.Outcome.FAILED) {
        // Nothing to wait for: no dial was made.
        after = after.givingUp(points);
      }
      if (done.outcome() == Dial.Outcome.ALREADY_CONNECTED) {
        continue;
      }
      if (done.outcome() == Dial.Outcome.NO_ADDRESS) {
        // Peers that dial in (wallets, mostly) are often away for long: nothing to report.
        log.debug(
            "{}: channel peer {} of {} is away and no address is known", key, peer, leaderPod);
        continue;
      }
      warnings.warn(
          cluster,
          done.outcome().reason,
          "channel(s) "
              + String.join(", ", points)
              + " of "
              + leaderPod
              + " inactive for "
              + UnconnectedPeers.GRACE.toSeconds()
              + " s with peer "
              + peer
              + " not connected (lnd dials its channel peers once as it starts, and gives up on"
              + " them if it cannot read them from its database): "
              + done.what());
    }
    rememberAway(key, after);
    for (String point : u.unreached()) {
      warnings.warn(
          cluster,
          UNREACHED,
          "channel "
              + point
              + " of "
              + leaderPod
              + " is still inactive with its peer not connected "
              + UnconnectedPeers.GRACE.toSeconds()
              + " s after the operator dialled the peer; lnd keeps dialling it and the operator"
              + " does not again until the channel has been active. See lncli listpeers and the"
              + " lnd log");
    }
    return earliest(d.look(), u.look());
  }

  /** The points of {@code peer}'s channels among {@code among}. */
  private static List<String> pointsOf(
      List<StalledLinks.Channel> channels, String peer, List<String> among) {
    return channels.stream()
        .filter(c -> c.peer().equals(peer) && among.contains(c.point()))
        .map(StalledLinks.Channel::point)
        .toList();
  }

  private static int channels(NodeStatus node) {
    return (node.activeChannels == null ? 0 : node.activeChannels)
        + (node.inactiveChannels == null ? 0 : node.inactiveChannels);
  }

  /** Keeps the addresses this leader dialled its peers at, when they differ from those kept. */
  private void learnFrom(LightningCluster cluster, Names n, Collection<LndRestClient.Peer> peers) {
    Map<String, String> dialled = new TreeMap<>();
    peers.stream().filter(p -> !p.inbound()).forEach(p -> dialled.put(p.pubkey(), p.address()));
    Map<String, String> kept = addressBook.load(n);
    Map<String, String> merged = ChannelPeerAddresses.merge(kept, dialled);
    if (merged.equals(kept)) {
      return;
    }
    try {
      addressBook.save(cluster, n, merged);
    } catch (RuntimeException e) {
      // Tried again when the leader's peers or channels change, not on every pass.
      log.warn(
          "{}: keeping the channel peers' addresses in Secret {} failed: {}",
          ElectionStep.key(cluster),
          n.channelBackupSecret(),
          e.getMessage());
    }
  }

  /** What a dial did, and in words. */
  private record Dial(Outcome outcome, String what) {
    enum Outcome {
      DIALLED(PeerReconnection.DIALLED),
      FAILED(DIAL_FAILED),
      NO_ADDRESS(null),
      ALREADY_CONNECTED(null);

      final String reason;

      Outcome(String reason) {
        this.reason = reason;
      }
    }
  }

  /**
   * Dials a channel peer lnd left unconnected, at every address known for it: where a leader of
   * this cluster dialled it before, then what it announces (a kept IP may be stale, and lnd keeps
   * one persistent request per address).
   */
  private static Dial dial(
      LndRestClient lnd, String host, int port, byte[] macaroon, String peer, String kept) {
    List<String> addresses = new ArrayList<>();
    if (kept != null) {
      addresses.add(kept);
    }
    try {
      lnd.announcedAddresses(host, port, macaroon, peer).stream()
          .filter(a -> !addresses.contains(a))
          .forEach(addresses::add);
    } catch (IOException e) {
      log.debug("the graph's addresses of {}: {}", peer, e.getMessage());
    }
    if (addresses.isEmpty()) {
      return new Dial(
          Dial.Outcome.NO_ADDRESS,
          "no leader of this cluster dialled it and it announces no address, so it was not"
              + " dialled; it connects when it dials in");
    }
    List<String> dialled = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (String address : addresses) {
      try {
        lnd.connectPeer(host, port, macaroon, peer, address);
        dialled.add(address);
      } catch (IOException e) {
        if (e.getMessage() != null && e.getMessage().contains("already connected")) {
          return new Dial(Dial.Outcome.ALREADY_CONNECTED, "it had connected meanwhile");
        }
        failed.add(address + " (" + e.getMessage() + ")");
      }
    }
    String failures =
        failed.isEmpty() ? "" : "; dialling it failed at " + String.join(", ", failed);
    if (dialled.isEmpty()) {
      return new Dial(Dial.Outcome.FAILED, failures.substring(2));
    }
    return new Dial(
        Dial.Outcome.DIALLED,
        "dialled it at "
            + String.join(", ", dialled)
            + "; lnd keeps it connected from now on"
            + failures);
  }

  private static Duration earliest(Duration a, Duration b) {
    if (a == null) {
      return b;
    }
    return b == null || a.compareTo(b) <= 0 ? a : b;
  }

  /** Disconnects the peer, waits until lnd no longer lists it, then dials it again. */
  private static String reconnect(
      LndRestClient lnd, String host, int port, byte[] macaroon, LndRestClient.Peer peer) {
    List<String> addresses = new ArrayList<>();
    if (!peer.inbound() && !peer.address().isBlank()) {
      addresses.add(peer.address());
    }
    try {
      lnd.announcedAddresses(host, port, macaroon, peer.pubkey()).stream()
          .filter(a -> !addresses.contains(a))
          .forEach(addresses::add);
    } catch (IOException e) {
      log.debug("the graph's addresses of {}: {}", peer.pubkey(), e.getMessage());
    }
    try {
      lnd.disconnectPeer(host, port, macaroon, peer.pubkey());
    } catch (IOException e) {
      return "disconnecting it failed ("
          + e.getMessage()
          + "); should the channel stay down, it is reported as not recovered";
    }
    if (!gone(lnd, host, port, macaroon, peer.pubkey())) {
      return "disconnected it; lnd still listed it after "
          + GONE_LIMIT.toSeconds()
          + " s, so it was not dialled again";
    }
    if (addresses.isEmpty()) {
      return "disconnected it; it dialled in and announces no address, so it dials in again";
    }
    try {
      lnd.connectPeer(host, port, macaroon, peer.pubkey(), addresses.get(0));
      return "disconnected it and connected again to " + addresses.get(0);
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().contains("already connected")) {
        return "disconnected it; it had dialled in again already";
      }
      return "disconnected it; connecting again to "
          + addresses.get(0)
          + " failed ("
          + e.getMessage()
          + "), so lnd reconnects it only when it dials in or the leader restarts";
    }
  }

  private static boolean gone(
      LndRestClient lnd, String host, int port, byte[] macaroon, String pubkey) {
    Instant until = Instant.now().plus(GONE_LIMIT);
    while (Instant.now().isBefore(until)) {
      try {
        if (lnd.listPeers(host, port, macaroon).stream()
            .noneMatch(p -> p.pubkey().equals(pubkey))) {
          return true;
        }
        Thread.sleep(GONE_POLL.toMillis());
      } catch (IOException e) {
        log.debug("listing peers after a disconnect: {}", e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  /** A macaroon for this pass alone, minted from the wallet's kept root key. */
  private byte[] macaroon(Names n) {
    byte[] key = rootKeys.apply(n);
    if (key == null) {
      return null;
    }
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    return Macaroons.mint(key, Macaroons.DEFAULT_ROOT_KEY_ID, Macaroons.PEER_RECONNECTION, nonce);
  }

  private void rememberAway(String key, UnconnectedPeers.Memory m) {
    if (!m.holdsAnything()) {
      away.remove(key);
    } else {
      away.put(key, m);
    }
  }

  private void remember(String key, StalledLinks.Memory m) {
    if (!m.holdsAnything()) {
      memory.remove(key);
    } else {
      memory.put(key, m);
    }
  }

  /** Forgets deleted clusters. */
  void retainOnly(Set<String> keys) {
    memory.keySet().retainAll(keys);
    away.keySet().retainAll(keys);
    learnedFrom.keySet().retainAll(keys);
  }

  private static boolean zero(Integer count) {
    return count == null || count == 0;
  }
}
