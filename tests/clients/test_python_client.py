#!/usr/bin/python3
"""Tests of the Python client (clients/python/pressline.py).

Against the real daemon (build/bin/presslined, one fast test stage): what
was published before the client started is caught up from since, what is
published later arrives live, with no repeat and no gap in seq, and the
same messages as `pressline sub --since` gives; files dropped while the
client catches up are neither missed nor doubled; with CURVE, the server
key is what lets it in; the README's example runs.

Against a stand-in daemon (an XPUB and a ROUTER in this process), so that
each case happens for sure: live repeats of replayed messages are dropped,
a jump in seq is filled from the record before the message that jumped,
batches with more=1 are asked for again from the last seq, replayed
messages of topics not subscribed to are passed over, an ERR raises
ReplayRefused, silence raises ReplayTimeout.

Every wait has a deadline; ports come from the kernel (bind to port 0),
never one twice in a run.
"""
import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
import unittest

import zmq

SRC = os.environ["PL_SOURCE_DIR"]
BUILD = os.environ["PL_BUILD_DIR"]
PLUGINS = os.environ["PL_TEST_PLUGIN_DIR"]
sys.path.insert(0, os.path.join(SRC, "clients", "python"))
import pressline  # noqa: E402

_given_ports = set()


def free_port():
    """A port the kernel says is free, never the same one twice in a run
    (as th_free_port)."""
    for _ in range(64):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _given_ports:
            _given_ports.add(port)
            return port
    raise RuntimeError("no free port")


def wait_until(what, pred, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("timed out after %g s waiting for %s" % (timeout, what))


def default_config():
    """The daemon's built-in default configuration."""
    out = subprocess.run([os.path.join(BUILD, "bin", "presslined"), "--print-config"],
                         capture_output=True, timeout=30, check=True)
    return json.loads(out.stdout)


class Daemon:
    """presslined in a temp folder, with the testkit stage (raw to text)."""

    def __init__(self, curve=False):
        self.dir = tempfile.mkdtemp(prefix="pressline-py-")
        self.endpoint = "tcp://127.0.0.1:%d" % free_port()
        self.replay = "tcp://127.0.0.1:%d" % free_port()
        cfg = {
            "publish": {"endpoint": self.endpoint, "replay_endpoint": self.replay,
                        "status_interval_ms": 100},
            "watch": {"settle_ms": 100, "rescan_interval_ms": 500},
            "durable": False,
            "stages": [{"name": "text", "plugin": os.path.join(PLUGINS, "testkit.so"),
                        "options": {"make_text": True}}],
        }
        self.server_key = None
        if curve:
            # Every tcp endpoint of the daemon then requires CURVE.
            base = os.path.join(self.dir, "server")
            subprocess.run([os.path.join(BUILD, "bin", "pressline"), "keygen", base],
                           capture_output=True, timeout=30, check=True)
            cfg["security"] = {"curve_secret_key_file": base + ".secret"}
            self.server_key = pressline.read_key(base + ".public")
        if "http" in default_config():
            cfg["http"] = {"listen": ""}  # no fixed port shared by tests run at once
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(cfg, f)
        self.log = open(os.path.join(self.dir, "daemon.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(BUILD, "bin", "presslined"), "--config", "config.json"],
            cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT)
        self.dropped = 0
        self._wait_ready()

    def _wait_ready(self):
        """Until a status message arrives: the daemon is up and publishing."""
        ctx = zmq.Context.instance()
        s = ctx.socket(zmq.SUB)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SUBSCRIBE, b"status")
        if self.server_key:
            s.curve_serverkey = self.server_key.encode()
            s.curve_publickey, s.curve_secretkey = zmq.curve_keypair()
        s.connect(self.endpoint)
        try:
            if not s.poll(20000):
                raise AssertionError("the daemon did not start:\n" + self.log_text())
            s.recv_multipart()
        finally:
            s.close()

    def log_text(self):
        with open(os.path.join(self.dir, "daemon.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def drop(self, n):
        """Drops n articles of distinct content into the inbox (written
        aside, then renamed in). Returns their names."""
        names = []
        inbox = os.path.join(self.dir, "inbox")
        for _ in range(n):
            self.dropped += 1
            name = "a%03d.txt" % self.dropped
            tmp = os.path.join(inbox, "." + name)
            with open(tmp, "w") as f:
                f.write("Article %d.\n\nIt says something of its own, number %d.\n"
                        % (self.dropped, self.dropped))
            os.rename(tmp, os.path.join(inbox, name))
            names.append(name)
        return names

    def published(self):
        """How many results the outbox holds."""
        out = os.path.join(self.dir, "outbox")
        return len([n for n in os.listdir(out) if n.endswith(".json")]) if os.path.isdir(
            out) else 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def take(sub, n, timeout=30.0):
    """The first n messages of sub, within timeout seconds in all (sub's
    own timeout ends an iteration that waits too long for one)."""
    got = []
    end = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < end:
        for msg in sub:
            got.append(msg)
            if len(got) == n:
                break
    if len(got) < n:
        raise AssertionError("%d messages of %d in %g s: %r" % (len(got), n, timeout,
                                                                [m.seq for m in got]))
    return got


class RealDaemon(unittest.TestCase):
    def setUp(self):
        self.d = Daemon()

    def tearDown(self):
        self.d.stop()

    def assert_contiguous(self, msgs, first=None):
        seqs = [m["seq"] for m in msgs]
        self.assertEqual(len(seqs), len(set(seqs)), "a message came twice: %r" % seqs)
        start = seqs[0] if first is None else first
        self.assertEqual(seqs, list(range(start, start + len(seqs))), "a gap or disorder")

    def test_catches_up_what_was_published_before_it_started_then_live(self):
        names = self.d.drop(5)
        wait_until("5 results in the outbox", lambda: self.d.published() == 5)
        with pressline.subscribe(self.d.endpoint, self.d.replay, since=0, timeout=1.0) as sub:
            before = take(sub, 5)
            self.assertEqual(sorted(m["source"]["name"] for m in before), names)
            self.assertTrue(all(m.topic == "article" for m in before))
            names += self.d.drop(4)
            after = take(sub, 4)
            msgs = before + after
            self.assert_contiguous(msgs, first=1)
            self.assertEqual(sorted(m["source"]["name"] for m in msgs), names)
            self.assertEqual(sub.last, 9)
            # Nothing more: no repeat arrives later.
            self.assertEqual(list(sub), [])

    def test_since_starts_after_the_given_seq(self):
        self.d.drop(5)
        wait_until("5 results in the outbox", lambda: self.d.published() == 5)
        with pressline.subscribe(self.d.endpoint, self.d.replay, since=3, timeout=1.0) as sub:
            msgs = take(sub, 2)
            self.assertEqual([m.seq for m in msgs], [4, 5])
            self.d.drop(1)
            self.assertEqual([m.seq for m in take(sub, 1)], [6])

    def test_gives_what_pressline_sub_since_gives(self):
        self.d.drop(4)
        wait_until("4 results in the outbox", lambda: self.d.published() == 4)
        cli = subprocess.run(
            [os.path.join(BUILD, "bin", "pressline"), "sub", "--endpoint", self.d.endpoint,
             "--replay", self.d.replay, "--since", "1", "--count", "3", "--timeout", "20"],
            capture_output=True, timeout=60, check=True)
        want = [json.loads(line) for line in cli.stdout.decode().splitlines()]
        with pressline.subscribe(self.d.endpoint, self.d.replay, since=1, timeout=1.0) as sub:
            got = take(sub, 3)
        self.assertEqual([m["seq"] for m in got], [m["seq"] for m in want])
        self.assertEqual([dict(m) for m in got], want)

    def test_files_dropped_while_it_catches_up_come_once_each(self):
        # A writer keeps dropping while the client subscribes and replays,
        # so live messages overlap the replay and the seq jumps past it.
        total = 60
        self.d.drop(20)
        wait_until("some results", lambda: self.d.published() >= 5)
        stop = threading.Event()

        def writer():
            while self.d.dropped < total and not stop.is_set():
                self.d.drop(1)
                time.sleep(0.005)

        t = threading.Thread(target=writer)
        t.start()
        try:
            with pressline.subscribe(self.d.endpoint, self.d.replay, since=0,
                                     timeout=2.0) as sub:
                msgs = take(sub, total, timeout=60.0)
                self.assertEqual(list(sub), [], "more than one message per file")
        finally:
            stop.set()
            t.join(10)
        self.assert_contiguous(msgs, first=1)
        self.assertEqual(len({m["source"]["name"] for m in msgs}), total)

    def test_the_readme_example_runs(self):
        # The README's Python example, on this daemon's endpoints, with a
        # timeout so that its loop ends.
        with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
            blocks = f.read().split("```python\n")[1:]
        code = [b.split("```")[0] for b in blocks if "import pressline" in b]
        self.assertEqual(len(code), 1, "no Python example using the module in the README")
        code = code[0].replace("tcp://127.0.0.1:5556", self.d.endpoint)
        code = code.replace("tcp://127.0.0.1:5557", self.d.replay)
        code = code.replace("import pressline\n", "")
        shim = types.SimpleNamespace(
            subscribe=lambda *a, **k: pressline.subscribe(*a, timeout=1.0, **k))
        self.d.drop(2)
        wait_until("2 results in the outbox", lambda: self.d.published() == 2)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(code, {"pressline": shim})
        lines = out.getvalue().splitlines()
        self.assertEqual([line.split()[:2] for line in lines], [["article", "1"], ["article", "2"]])

    def test_status_messages_when_asked_for(self):
        with pressline.subscribe(self.d.endpoint, self.d.replay, since=0, timeout=5.0,
                                 topics=("status",)) as sub:
            msg = take(sub, 1)[0]
        self.assertEqual(msg.topic, "status")
        self.assertEqual(msg.seq, 0)


class RealDaemonCurve(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(curve=True)

    def tearDown(self):
        self.d.stop()

    def test_with_the_server_key_it_catches_up_and_receives_live(self):
        self.d.drop(2)
        wait_until("2 results in the outbox", lambda: self.d.published() == 2)
        with pressline.subscribe(self.d.endpoint, self.d.replay, since=0, timeout=1.0,
                                 server_key=self.d.server_key) as sub:
            before = take(sub, 2)
            self.d.drop(1)
            after = take(sub, 1)
        self.assertEqual([m.seq for m in before + after], [1, 2, 3])

    def test_without_it_the_replay_endpoint_stays_silent(self):
        with pressline.subscribe(self.d.endpoint, self.d.replay, since=0, timeout=1.0,
                                 replay_wait=1.0) as sub:
            with self.assertRaises(pressline.ReplayTimeout):
                list(sub)


class StandIn:
    """A stand-in daemon: an XPUB (which tells when the client's
    subscription has arrived) and a ROUTER answering SINCE from a script."""

    def __init__(self, test):
        self.ctx = zmq.Context()
        self.pub = self.ctx.socket(zmq.XPUB)
        self.router = self.ctx.socket(zmq.ROUTER)
        for s in (self.pub, self.router):
            s.setsockopt(zmq.LINGER, 0)
        self.endpoint = "tcp://127.0.0.1:%d" % free_port()
        self.replay = "tcp://127.0.0.1:%d" % free_port()
        self.pub.bind(self.endpoint)
        self.router.bind(self.replay)
        self.requests = []
        self.test = test

    @staticmethod
    def body(seq, topic="article"):
        return json.dumps({"schema": "pressline/%s/1" % topic, "seq": seq,
                           "id": "id%d" % seq}).encode()

    def wait_subscribed(self):
        if not self.pub.poll(10000):
            raise AssertionError("the client never subscribed")
        return self.pub.recv()

    def answer(self, msgs, more, timeout=10.0):
        """Waits for one SINCE, records its seq, and answers msgs (seq or
        (seq, topic)) then END."""
        if not self.router.poll(int(timeout * 1000)):
            raise AssertionError("the client asked nothing")
        ident, *frames = self.router.recv_multipart()
        self.test.assertEqual(frames[0], b"SINCE")
        self.requests.append(int(frames[1]))
        last = self.requests[-1]
        for m in msgs:
            seq, topic = m if isinstance(m, tuple) else (m, "article")
            self.router.send_multipart([ident, b"MSG", topic.encode(), self.body(seq, topic)])
            last = seq
        self.router.send_multipart([ident, b"END", str(last).encode(), b"1" if more else b"0"])

    def publish(self, *seqs):
        for s in seqs:
            self.pub.send_multipart([b"article", self.body(s)])

    def close(self):
        self.pub.close()
        self.router.close()
        self.ctx.term()


class StandInDaemon(unittest.TestCase):
    def setUp(self):
        self.s = StandIn(self)
        self.errors = []

    def tearDown(self):
        self.s.close()

    def serve(self, script):
        """Runs script(stand_in) on a thread; failures show in join()."""
        def run():
            try:
                script(self.s)
            except Exception as e:  # reported by the test's thread
                self.errors.append(e)
        self.t = threading.Thread(target=run)
        self.t.start()

    def join(self):
        self.t.join(30)
        self.assertFalse(self.t.is_alive(), "the stand-in is stuck")
        if self.errors:
            raise self.errors[0]

    def test_repeats_are_dropped_and_a_jump_is_filled_from_the_record(self):
        def script(s):
            s.wait_subscribed()
            s.answer([1], more=True)               # a batch with more to come
            s.answer([2, (3, "error")], more=False)  # error: not subscribed to
            s.publish(2, 3, 4, 7)                 # 2, 3: seen; 4: new; 7: a jump
            s.answer([5, 6, 7], more=False)        # the jump, from the record
            s.publish(7, 8)                       # 7: seen
        self.serve(script)
        with pressline.subscribe(self.s.endpoint, self.s.replay, since=0, timeout=5.0,
                                 topics=("article",)) as sub:
            got = take(sub, 7, timeout=20.0)
            self.assertEqual(list(sub), [], "a repeat came after all")
        self.join()
        self.assertEqual([m.seq for m in got], [1, 2, 4, 5, 6, 7, 8])
        self.assertEqual(self.s.requests, [0, 1, 4])

    def test_the_message_after_a_filled_jump_is_live(self):
        def script(s):
            s.wait_subscribed()
            s.answer([], more=False)
            s.publish(3)           # a jump from 0: asked of the record
            s.answer([], more=False)  # the record has nothing (unused numbers)
            s.publish(4)
        self.serve(script)
        with pressline.subscribe(self.s.endpoint, self.s.replay, since=0, timeout=5.0) as sub:
            got = take(sub, 2, timeout=20.0)
        self.join()
        self.assertEqual([m.seq for m in got], [3, 4])
        self.assertEqual(self.s.requests, [0, 0])

    def test_a_refusal_raises_replay_refused(self):
        def script(s):
            s.wait_subscribed()
            if not s.router.poll(10000):
                raise AssertionError("the client asked nothing")
            ident, *_ = s.router.recv_multipart()
            s.router.send_multipart([ident, b"ERR", b"busy"])
        self.serve(script)
        with pressline.subscribe(self.s.endpoint, self.s.replay, since=0, timeout=5.0) as sub:
            with self.assertRaises(pressline.ReplayRefused) as cm:
                list(sub)
        self.join()
        self.assertEqual(cm.exception.reason, "busy")

    def test_silence_raises_replay_timeout(self):
        with pressline.subscribe(self.s.endpoint, self.s.replay, since=0, timeout=5.0,
                                 replay_wait=0.3) as sub:
            started = time.monotonic()
            with self.assertRaises(pressline.ReplayTimeout):
                list(sub)
            self.assertLess(time.monotonic() - started, 5.0)

    def test_since_must_be_a_seq(self):
        for bad in (-1, 1.5, "3"):
            with self.assertRaises(ValueError):
                pressline.subscribe(self.s.endpoint, self.s.replay, since=bad)


if __name__ == "__main__":
    unittest.main(verbosity=2)
