package dev.operator.lightning.election;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gRPC Watch stream to one etcd, carrying the watches of every election the operator follows
 * there, as Go's client carries all watches of a client on one stream. jetcd opens a stream per
 * watch, so 1,000 clusters whose elections cannot share a watched prefix (each keeps its data under
 * its own key namespace) would hold 1,000 streams and 2,000 server goroutines; here they hold one.
 *
 * <p>etcd answers the creates of one stream in the order they were sent and sends a watch's events
 * only after the answer to its create, so each answer (with the id etcd chose, or a refusal)
 * belongs to the oldest create not yet answered. A failure of the stream fails every watch on it,
 * and each owner starts over with a fresh list; a watch etcd cancels (a compacted revision) fails
 * alone. Progress requests from many owners within {@link #PROGRESS_SPACING} are sent once, and
 * etcd's answer (one for the whole stream) is told to every watch.
 */
final class WatchStream implements AutoCloseable {
  /** At most one progress request per stream this often, however many watches ask. */
  static final Duration PROGRESS_SPACING = Duration.ofSeconds(1);

  /** A stream whose progress requests go unanswered this long is started over. */
  static final Duration UNANSWERED_LIMIT = Duration.ofSeconds(15);

  /** Cancel reasons that belong to the stream's credentials, not to one watch. */
  private static final List<String> STREAM_AUTH_FAILURES =
      List.of("invalid auth token", "revision of auth store is old", "user name is empty");

  private static final Logger log = LoggerFactory.getLogger(WatchStream.class);
  private static final Metadata.Key<String> HAS_LEADER =
      Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);

  /** etcd's answer to a create it refused, and to a progress request for the whole stream. */
  private static final long NO_WATCH = -1;

  private final String name;
  private final WatchGrpc.WatchStub stub;
  private final Clock clock;

  /** Watches etcd has created, by the id it chose. */
  private final Map<Long, Handle> handles = new HashMap<>();

  /** Watches asked for and not yet answered, oldest first. */
  private final Deque<Handle> unansweredCreates = new ArrayDeque<>();

  private ClientCallStreamObserver<WatchRequest> requests;
  private long generation;
  private Instant lastProgressRequest;

  /** The first progress request etcd has not answered yet. */
  private Instant progressRequestUnanswered;

  private long progressRequestsSent;
  private long streamsOpened;
  private boolean closed;

  /** Follows one election over the stream; jetcd's {@link Watch.Watcher} shape for its owner. */
  private final class Handle implements Watch.Watcher {
    final long streamGeneration;
    final Watch.Listener listener;

    /** The id etcd chose, once it answered the create. */
    long id = NO_WATCH;

    boolean closed;

    Handle(long streamGeneration, Watch.Listener listener) {
      this.streamGeneration = streamGeneration;
      this.listener = listener;
    }

    @Override
    public void close() {
      cancel(this);
    }

    @Override
    public boolean isClosed() {
      synchronized (WatchStream.this) {
        return closed;
      }
    }

    @Override
    public void requestProgress() {
      WatchStream.this.requestProgress();
    }
  }

  WatchStream(String name, Client client, Clock clock) {
    this(name, watchStub(client), clock);
  }

  private WatchStream(String name, WatchGrpc.WatchStub stub, Clock clock) {
    this.name = name;
    Metadata requireLeader = new Metadata();
    requireLeader.put(HAS_LEADER, "true");
    // etcd ends a stream whose member has lost its leader only when asked to, so a watch on a
    // member cut off from the others fails at once instead of staying silent.
    this.stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(requireLeader));
    this.clock = clock;
  }

  /**
   * Watches every key under {@code prefix} from {@code fromRevision}; events, progress and the
   * watch's failure reach {@code listener}. Opens the stream if none is open.
   */
  synchronized Watch.Watcher watch(
      ByteSequence prefix, long fromRevision, Watch.Listener listener) {
    if (closed) {
      throw new IllegalStateException("watch stream " + name + " is closed");
    }
    if (requests == null) {
      open();
      if (requests == null) {
        throw new IllegalStateException("watch stream " + name + " could not be opened");
      }
    }
    Handle h = new Handle(generation, listener);
    unansweredCreates.addLast(h);
    send(
        WatchRequest.newBuilder()
            .setCreateRequest(
                WatchCreateRequest.newBuilder()
                    .setKey(ByteString.copyFrom(prefix.getBytes()))
                    .setRangeEnd(ByteString.copyFrom(OptionsUtil.prefixEndOf(prefix).getBytes()))
                    .setStartRevision(fromRevision)
                    .setProgressNotify(true))
            .build());
    return h;
  }

  /** Whether a gRPC stream is open now (metrics and tests). */
  synchronized boolean isOpen() {
    return requests != null;
  }

  /** Watches on the stream now, created or asked for. */
  synchronized int watches() {
    return handles.size() + (int) unansweredCreates.stream().filter(h -> !h.closed).count();
  }

  /** Progress requests sent since the start (tests). */
  synchronized long progressRequestsSent() {
    return progressRequestsSent;
  }

  /** gRPC streams opened since the start (tests). */
  synchronized long streamsOpened() {
    return streamsOpened;
  }

  @Override
  public synchronized void close() {
    closed = true;
    handles.clear();
    unansweredCreates.clear();
    endCall("watch stream closed");
  }

  private void open() {
    long gen = ++generation;
    streamsOpened++;
    lastProgressRequest = null;
    progressRequestUnanswered = null;
    stub.watch(
        new ClientResponseObserver<WatchRequest, io.etcd.jetcd.api.WatchResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<WatchRequest> stream) {
            requests = stream;
          }

          @Override
          public void onNext(io.etcd.jetcd.api.WatchResponse r) {
            received(r, gen);
          }

          @Override
          public void onError(Throwable t) {
            failStream(t, gen);
          }

          @Override
          public void onCompleted() {
            failStream(new IllegalStateException("watch stream closed by etcd"), gen);
          }
        });
  }

  private void received(io.etcd.jetcd.api.WatchResponse r, long gen) {
    List<Handle> tell = new ArrayList<>(1);
    Throwable failure = null;
    boolean failWholeStream = false;
    synchronized (this) {
      if (gen != generation) {
        return;
      }
      if (r.getCreated()) {
        Handle h = unansweredCreates.pollFirst();
        if (h == null) {
          failWholeStream = true;
          failure = new IllegalStateException("etcd answered a create nobody asked for");
        } else if (r.getCanceled()) {
          String reason = r.getCancelReason();
          failure = new IllegalStateException("etcd refused a watch: " + reason);
          failWholeStream = STREAM_AUTH_FAILURES.stream().anyMatch(reason::contains);
          if (failWholeStream) {
            // Failed with the rest of the stream, below.
            unansweredCreates.addFirst(h);
          } else if (!h.closed) {
            tell.add(h);
          }
        } else {
          h.id = r.getWatchId();
          if (h.closed) {
            // Closed while etcd was creating it.
            send(cancelRequest(h.id));
          } else {
            handles.put(h.id, h);
          }
        }
      } else if (r.getCanceled()) {
        // etcd keeps a watcher it cancelled on its own (compaction) among the stream's until the
        // client cancels it too, and never answers a progress request while one is there.
        send(cancelRequest(r.getWatchId()));
        Handle h = handles.remove(r.getWatchId());
        if (h != null) {
          tell.add(h);
          failure =
              new IllegalStateException(
                  "etcd cancelled watch "
                      + r.getWatchId()
                      + (r.getCompactRevision() > 0
                          ? " (compacted at revision " + r.getCompactRevision() + ")"
                          : "")
                      + ": "
                      + r.getCancelReason());
        }
      } else if (r.getWatchId() == NO_WATCH) {
        // etcd answers a progress request once for the whole stream.
        progressRequestUnanswered = null;
        tell.addAll(handles.values());
      } else {
        if (r.getEventsCount() == 0) {
          // etcd before 3.5.8 answers a progress request watch by watch.
          progressRequestUnanswered = null;
        }
        Handle h = handles.get(r.getWatchId());
        if (h != null) {
          tell.add(h);
        }
      }
    }
    if (failWholeStream) {
      failStream(failure, gen);
      return;
    }
    if (failure != null) {
      Throwable error = failure;
      for (Handle h : tell) {
        safely(() -> h.listener.onError(error));
      }
      return;
    }
    if (!tell.isEmpty()) {
      WatchResponse response = new WatchResponse(r);
      for (Handle h : tell) {
        safely(() -> h.listener.onNext(response));
      }
    }
  }

  private void failStream(Throwable error, long gen) {
    List<Handle> failed;
    synchronized (this) {
      if (gen != generation || requests == null) {
        return;
      }
      generation++;
      failed = new ArrayList<>(handles.values());
      unansweredCreates.stream().filter(h -> !h.closed).forEach(failed::add);
      handles.clear();
      unansweredCreates.clear();
      endCall("watch stream failed");
    }
    log.warn("watch stream {} failed ({}); {} watches start over", name, error, failed.size());
    Runnable tellAll =
        () -> {
          for (Handle h : failed) {
            safely(() -> h.listener.onError(error));
          }
        };
    if (Thread.holdsLock(this)) {
      // gRPC failed a write of this thread at once: owners take their own locks before this
      // stream's, so they must not be called while this thread holds it.
      CompletableFuture.runAsync(tellAll);
    } else {
      tellAll.run();
    }
  }

  private synchronized void cancel(Handle h) {
    if (h.closed) {
      return;
    }
    h.closed = true;
    if (h.streamGeneration != generation || requests == null) {
      return;
    }
    boolean created = h.id != NO_WATCH && handles.remove(h.id) != null;
    if (handles.isEmpty() && unansweredCreates.stream().allMatch(u -> u.closed)) {
      // Nobody follows an election here any more: no stream stays open to an idle etcd.
      generation++;
      unansweredCreates.clear();
      endCall("no watch left");
    } else if (created) {
      // (One still waiting for its create's answer is cancelled when the answer comes.)
      send(cancelRequest(h.id));
    }
  }

  private static WatchRequest cancelRequest(long id) {
    return WatchRequest.newBuilder()
        .setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(id))
        .build();
  }

  /** Holds the lock: one writer at a time on the stream. */
  private void send(WatchRequest request) {
    if (requests != null) {
      requests.onNext(request);
    }
  }

  private void requestProgress() {
    long gen;
    synchronized (this) {
      if (requests == null) {
        return;
      }
      gen = generation;
      Instant now = clock.instant();
      if (progressRequestUnanswered != null
          && Duration.between(progressRequestUnanswered, now).compareTo(UNANSWERED_LIMIT) > 0) {
        // Each watch restarting for silence would rejoin this same stream: start it over.
        progressRequestUnanswered = null;
      } else {
        if (lastProgressRequest != null
            && Duration.between(lastProgressRequest, now).compareTo(PROGRESS_SPACING) < 0) {
          return;
        }
        lastProgressRequest = now;
        if (progressRequestUnanswered == null) {
          progressRequestUnanswered = now;
        }
        progressRequestsSent++;
        send(
            WatchRequest.newBuilder()
                .setProgressRequest(WatchProgressRequest.getDefaultInstance())
                .build());
        return;
      }
    }
    failStream(
        new IllegalStateException("no progress answered on the stream for " + UNANSWERED_LIMIT),
        gen);
  }

  /** Holds the lock. */
  private void endCall(String why) {
    if (requests != null) {
      ClientCallStreamObserver<WatchRequest> call = requests;
      requests = null;
      call.cancel(why, null);
    }
  }

  /** One owner's failure to hear must not keep the others from hearing. */
  private static void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("watch listener failed: {}", e.toString());
    }
  }

  /**
   * A Watch stub on the client's own connection, with its TLS, its authentication and its
   * keepalive. jetcd has no public way to add a watch to an open stream, nor to reach the channel
   * it dials; its connection manager makes the stubs of every jetcd service, and makes this one the
   * same way. The jetcd version is pinned; a change there fails every watch test at once.
   */
  @SuppressWarnings("unchecked")
  private static WatchGrpc.WatchStub watchStub(Client client) {
    try {
      var field = client.getClass().getDeclaredField("connectionManager");
      field.setAccessible(true);
      Object connections = field.get(client);
      var newStub = connections.getClass().getDeclaredMethod("newStub", Function.class);
      newStub.setAccessible(true);
      Function<ManagedChannel, WatchGrpc.WatchStub> make = WatchGrpc::newStub;
      return (WatchGrpc.WatchStub) newStub.invoke(connections, make);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "cannot open a watch stream on the etcd client " + client.getClass().getName(), e);
    }
  }
}
