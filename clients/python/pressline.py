"""A subscriber for the pressline daemon that catches up by seq.

    import pressline

    for msg in pressline.subscribe("tcp://127.0.0.1:5556", "tcp://127.0.0.1:5557",
                                   since=last_seq_processed):
        print(msg.topic, msg["seq"], msg["id"])
        last_seq_processed = msg["seq"]   # keep it: since= resumes from there

Each message is a dict (the published JSON object) with the ZeroMQ topic
as its ``topic`` attribute. With ``since`` the iterator yields every
``article`` and ``error`` message published after that seq, whether it
was published before the subscription or while it runs, once each and in
seq order, exactly as ``pressline sub --since`` (daemon/pressline.c) does:

1. it subscribes to the PUB endpoint first, so that what is published from
   then on waits in the socket;
2. it asks the replay endpoint for everything after ``since`` (the replay
   protocol of daemon/replay_wire.h: ``[SINCE][seq]``, answered by
   ``[MSG][topic][json]`` per message and ``[END][last seq][more]``, asked
   again from the last seq while more is 1; ``[ERR][reason]`` refuses) and
   yields what it has not yet yielded;
3. it then yields live messages, dropping those whose seq it has already
   yielded (they were in the replay too), and when a live message's seq
   jumps past the next one (messages dropped at the high-water mark, or
   published before the subscription reached the daemon), it asks the
   replay endpoint again before yielding it.

Not every seq is used (the daemon reserves them in blocks, so a restart
jumps), so a jump is only a question to the record, not a loss. Delivery is
at-least-once across daemon crashes: a repeat carries the same ``id``.

Needs only the standard library and pyzmq (Debian's python3-zmq). Not
thread-safe: iterate a subscription from one thread.
"""

import json

import zmq

__all__ = [
    "DEFAULT_ENDPOINT",
    "DEFAULT_REPLAY_ENDPOINT",
    "Error",
    "Message",
    "ReplayRefused",
    "ReplayTimeout",
    "Subscription",
    "read_key",
    "subscribe",
]

DEFAULT_ENDPOINT = "tcp://127.0.0.1:5556"
DEFAULT_REPLAY_ENDPOINT = "tcp://127.0.0.1:5557"
# How long each reply of the replay endpoint is waited for, as pressline sub.
REPLAY_WAIT_S = 10.0


class Error(Exception):
    """A pressline client error."""


class ReplayRefused(Error):
    """The replay endpoint answered ERR; ``reason`` says why."""

    def __init__(self, endpoint, reason):
        super().__init__("the replay endpoint %s refused the request: %s" % (endpoint, reason))
        self.reason = reason


class ReplayTimeout(Error):
    """The replay endpoint did not answer in time."""


class Message(dict):
    """A published message: its JSON object, with ``topic`` ("article",
    "error" or "status") and ``seq`` (0 for status messages, which have
    none) as attributes."""

    __slots__ = ("topic",)

    def __init__(self, topic, obj):
        super().__init__(obj)
        self.topic = topic

    @property
    def seq(self):
        s = self.get("seq")
        return s if isinstance(s, int) and not isinstance(s, bool) and s >= 1 else 0


def read_key(path):
    """The CURVE public key in the file ``pressline keygen`` wrote
    (``server.public``): 40 characters of Z85 text."""
    with open(path, "r", encoding="ascii") as f:
        key = f.read(128).strip()
    if len(key) != 40:
        raise Error("%s does not hold a CURVE key (40 characters of Z85 text)" % path)
    return key


def _message(topic, body):
    """A Message from the frames, or None for frames that are not one."""
    try:
        obj = json.loads(body)
        t = topic.decode("utf-8")
    except ValueError:  # json's and UTF-8's errors both derive from it
        return None
    return Message(t, obj) if isinstance(obj, dict) else None


class Subscription:
    """An iterable subscription; see the module's text. Made by
    subscribe(). An iteration ends after ``timeout`` seconds without a live
    message (never, by default); iterating again goes on from where it
    stopped, missing nothing. close(), or the end of a ``with`` block,
    closes its sockets. ``last`` is the highest seq seen so far."""

    def __init__(self, endpoint=DEFAULT_ENDPOINT, replay_endpoint=DEFAULT_REPLAY_ENDPOINT,
                 since=0, topics=("article", "error"), timeout=None, server_key=None,
                 replay_wait=REPLAY_WAIT_S, context=None):
        if since is not None and (not isinstance(since, int) or since < 0):
            raise ValueError("since must be a seq number (an int >= 0) or None")
        self.endpoint = endpoint
        self.replay_endpoint = replay_endpoint
        self.topics = tuple(t.encode() if isinstance(t, str) else t for t in topics)
        if not self.topics:
            raise ValueError("topics must name at least one topic")
        self.since = since
        # The highest seq yielded, or passed over in the record for a topic
        # not subscribed to: live messages up to it are repeats.
        self.last = since or 0
        self.timeout = timeout
        self.replay_wait = replay_wait
        self._server_key = server_key
        self._own_ctx = context is None
        self._ctx = context or zmq.Context()
        self._req = None
        self._live = self._socket(zmq.SUB, endpoint)
        self._caught_up = since is None

    def _socket(self, kind, endpoint):
        s = self._ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        if self._server_key:
            pub, sec = zmq.curve_keypair()
            s.curve_serverkey = self._server_key.encode() if isinstance(
                self._server_key, str) else self._server_key
            s.curve_publickey = pub
            s.curve_secretkey = sec
        if kind == zmq.SUB:
            # Before connecting, so that the subscription goes out with the
            # connection.
            for t in self.topics:
                s.setsockopt(zmq.SUBSCRIBE, t)
        s.connect(endpoint)
        return s

    def close(self):
        """Closes the sockets (and the context, when the subscription made it)."""
        for s in (self._live, self._req):
            if s is not None:
                s.close(linger=0)
        self._live = self._req = None
        if self._own_ctx and self._ctx is not None:
            self._ctx.term()
        self._ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _wanted(self, topic):
        # As ZMQ_SUBSCRIBE matches live messages: a topic is a prefix.
        return any(topic.startswith(t) for t in self.topics)

    def _ask(self):
        if self._req is None:
            self._req = self._socket(zmq.DEALER, self.replay_endpoint)
        self._req.send_multipart([b"SINCE", str(self.last).encode()])

    def _replay_reply(self, frames):
        """One reply: ("msg", Message or None), ("end", more) or None when it
        does not follow the protocol (ignored, as pressline sub does)."""
        kind = frames[0] if frames else b""
        if kind == b"MSG" and len(frames) == 3 and frames[1]:
            return "msg", _message(frames[1], frames[2])
        if kind == b"END" and len(frames) == 3 and frames[2] in (b"0", b"1"):
            return "end", frames[2] == b"1"
        if kind == b"ERR" and len(frames) == 2 and frames[1]:
            reason = frames[1].decode("ascii", "replace")
            raise ReplayRefused(self.replay_endpoint, reason)
        return None

    def _catch_up(self):
        """Yields every message after self.last the record holds, batch
        after batch. A reply that does not come within replay_wait after
        some did (the daemon forgets a client that takes nothing for 30 s,
        as a slow consumer of this iterator may be) is asked for again; one
        that does not come at all raises ReplayTimeout. A request given up
        on, so, or left when the consumer stops iterating, takes its socket
        with it, so that its late replies are never read as another's."""
        more = True
        while more:
            self._ask()
            progress = False
            done = False
            try:
                while True:
                    if not self._req.poll(int(self.replay_wait * 1000)):
                        if not progress:
                            raise ReplayTimeout("no answer from the replay endpoint %s"
                                                % self.replay_endpoint)
                        break  # ask again from self.last, on a new socket
                    reply = self._replay_reply(self._req.recv_multipart())
                    if reply is None:
                        continue
                    progress = True
                    kind, value = reply
                    if kind == "end":
                        more = value
                        done = True
                        break
                    if value is None or value.seq <= self.last:
                        continue
                    self.last = value.seq
                    if self._wanted(value.topic.encode()):
                        yield value
            finally:
                if not done and self._req is not None:
                    self._req.close(linger=0)
                    self._req = None

    def _live_next(self):
        """The next live message's (topic, body), or None after timeout
        seconds without one."""
        wait = None if self.timeout is None else int(self.timeout * 1000)
        if not self._live.poll(wait):
            return None
        frames = self._live.recv_multipart()
        if len(frames) < 2:
            return b"", b""
        return frames[0], frames[1]

    def __iter__(self):
        if self._live is None:
            raise Error("the subscription is closed")
        if not self._caught_up:
            # Subscribed first (what is published meanwhile waits in the
            # socket), then the record: nothing falls between the two.
            yield from self._catch_up()
            self._caught_up = True
        while True:
            frames = self._live_next()
            if frames is None:
                return
            msg = _message(*frames)
            if msg is None:
                continue
            seq = msg.seq
            if self.since is not None:
                if seq and seq <= self.last:
                    continue  # already yielded from the record
                if seq > self.last + 1:
                    # A gap: fill it from the record first.
                    yield from self._catch_up()
                    if seq <= self.last:
                        continue
            if seq:
                self.last = seq
            yield msg


def subscribe(endpoint=DEFAULT_ENDPOINT, replay_endpoint=DEFAULT_REPLAY_ENDPOINT, since=0,
              topics=("article", "error"), timeout=None, server_key=None,
              replay_wait=REPLAY_WAIT_S, context=None):
    """Subscribes to the daemon's PUB endpoint and, unless since is None,
    catches up from its replay endpoint: an iterable Subscription of
    Message dicts, every one published after seq ``since`` (0: everything
    the record holds), then live ones, each once, in seq order.

    topics: the topics wanted ("article", "error", "status"; each a
    prefix, as ZeroMQ matches). timeout: seconds without a live message
    after which the iteration ends (None: never). server_key: the daemon's
    CURVE public key (read_key()), when its tcp endpoints require CURVE.
    replay_wait: seconds each reply of the replay endpoint is waited for.
    Raises ReplayRefused when the replay endpoint refuses the request and
    ReplayTimeout when it does not answer.
    """
    return Subscription(endpoint, replay_endpoint, since, topics, timeout, server_key,
                        replay_wait, context)
