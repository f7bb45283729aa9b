package dev.operator.lightning.reconcile;

import java.util.Map;
import java.util.TreeMap;

/**
 * The addresses at which the cluster's leaders dialled their channel peers, as kept in the channel
 * backup Secret (key {@value #KEY}, one {@code pubkey@host:port} per line, sorted). lnd keeps these
 * in its database but shows them through no RPC, and a peer that announces no address can be found
 * nowhere else: when a new leader leaves a channel peer unconnected, this is where the operator
 * dials it. Kept in a Secret beside the backup, so that an operator restart does not forget them
 * and whoever restores the channels finds where their peers were. Pure.
 */
final class ChannelPeerAddresses {
  static final String KEY = "channel-peers";

  private ChannelPeerAddresses() {}

  static String format(Map<String, String> addresses) {
    StringBuilder out = new StringBuilder();
    new TreeMap<>(addresses)
        .forEach((pubkey, address) -> out.append(pubkey).append('@').append(address).append('\n'));
    return out.toString();
  }

  /** The kept addresses by pubkey; lines that are not {@code pubkey@address} are skipped. */
  static Map<String, String> parse(String kept) {
    Map<String, String> out = new TreeMap<>();
    if (kept == null) {
      return out;
    }
    kept.lines()
        .map(String::strip)
        .forEach(
            l -> {
              int at = l.indexOf('@');
              if (at > 0 && at < l.length() - 1) {
                out.put(l.substring(0, at), l.substring(at + 1));
              }
            });
    return out;
  }

  /**
   * The kept addresses with what this listing of the connected peers shows: a peer this node
   * dialled is at the address it dialled; one that dialled in shows only its outgoing socket, which
   * says nothing about where it listens, so its kept address stays.
   */
  static Map<String, String> merge(Map<String, String> kept, Map<String, String> dialled) {
    Map<String, String> out = new TreeMap<>(kept);
    dialled.forEach(
        (pubkey, address) -> {
          if (!address.isBlank()) {
            out.put(pubkey, address);
          }
        });
    return out;
  }
}
