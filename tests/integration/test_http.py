#!/usr/bin/env python3
"""The HTTP endpoint of the real daemon (issue 16, points 2 and 6).

  http     /metrics parsed by prometheus_client's own text parser after four
           articles (one published by both stages, one refused by a stage,
           one that crashes its worker process until it is quarantined, one
           more published), with each figure checked; /health and /ready;
           /ready 503 with its reasons, 404 and 405, for a daemon whose stage
           has no worker; a port already in use stops the start naming
           http.listen.
  status   `pressline status` against a ready daemon (exit 0), one whose stage
           has no worker (exit 1, saying which) and no daemon at all (exit 2).

Every wait polls with a deadline. Ports come from the kernel (bind to port 0),
never one twice in a run.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

BUILD = os.environ.get("PL_BUILD_DIR", ".")
PLUGINS = os.environ.get("PL_TEST_PLUGIN_DIR", os.path.join(BUILD, "tests", "plugins"))
DAEMON = os.path.join(BUILD, "bin", "presslined")
CLIENT = os.path.join(BUILD, "bin", "pressline")
_given = set()


def free_port():
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _given:
            _given.add(port)
            return port


_sockets = tempfile.mkdtemp(prefix="pressline-http-ipc-")


def ipc_endpoint():
    """A fresh ipc:// endpoint in a folder of this run's own."""
    return "ipc://%s/s%d.sock" % (_sockets, free_port())


def wait_for(what, cond, timeout=15.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


class Daemon:
    def __init__(self, stages, http=None):
        self.dir = tempfile.mkdtemp(prefix="pressline-http-")
        self.port = free_port()
        self.http = "127.0.0.1:%d" % self.port if http is None else http
        self.pub = "tcp://127.0.0.1:%d" % free_port()
        self.replay = "tcp://127.0.0.1:%d" % free_port()
        cfg = {
            "http": {"listen": self.http},
            "publish": {"endpoint": self.pub, "replay_endpoint": self.replay,
                        "status_interval_ms": 100},
            "watch": {"settle_ms": 200, "rescan_interval_ms": 1000},
            "workers": {"heartbeat_ms": 100, "dead_after_ms": 500},
            "durable": False,
            "stages": stages,
        }
        self.config = os.path.join(self.dir, "config.json")
        with open(self.config, "w") as f:
            json.dump(cfg, f)
        self.log = open(os.path.join(self.dir, "daemon.log"), "w+")
        self.proc = subprocess.Popen([DAEMON, "--config", self.config], cwd=self.dir,
                                     stdout=self.log, stderr=self.log)

    def url(self, path):
        return "http://%s%s" % (self.http, path)

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def terminate(self):
        """SIGTERM; the exit status (0 for a clean stop, sanitizers' reports included)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def drop(self, name, text):
        tmp = os.path.join(self.dir, "inbox", "." + name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(self.dir, "inbox", name))


def get(url, method="GET"):
    """(status, headers, body) of one request; 5 s at most."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def up(d):
    """Waits until d answers /health."""
    def answers():
        if d.proc.poll() is not None:
            raise AssertionError("the daemon exited:\n" + d.log_text())
        try:
            return get(d.url("/health"))[0] == 200
        except OSError:
            return False
    wait_for("/health", answers)


def metrics(d):
    status, headers, body = get(d.url("/metrics"))
    assert status == 200, status
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
    samples = {}
    types = {}
    for fam in text_string_to_metric_families(body):
        types[fam.name] = fam.type
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples, types, body


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def seqs(d):
    """Every seq in the durable record."""
    out = []
    for folder, suffix in (("outbox", ".json"), ("failed", ".error.json")):
        path = os.path.join(d.dir, folder)
        for name in os.listdir(path):
            if name.endswith(suffix):
                with open(os.path.join(path, name)) as f:
                    out.append(json.load(f)["seq"])
    return out


def check_metrics_after_articles():
    sock = ipc_endpoint()
    d = Daemon([{"name": "clean"},
                {"name": "check", "plugin": os.path.join(PLUGINS, "testkit.so"),
                 "spawn": "process", "endpoint": sock, "max_attempts": 2,
                 "options": {"fail_on": "REFUSEME", "crash_on": "CRASHME"}}])
    try:
        up(d)
        wait_for("/ready 200", lambda: get(d.url("/ready"))[0] == 200)
        status, _, body = get(d.url("/ready"))
        assert json.loads(body) == {"ready": True}, body
        d.drop("a.txt", "Ministers met in Brussels on Tuesday to talk about the budget.")
        d.drop("b.txt", "This article holds the word REFUSEME, which the check stage refuses.")
        d.drop("c.txt", "This article holds the word CRASHME, which kills the worker process.")
        d.drop("e.txt", "The finance minister said later that an agreement was close.")

        def finished():
            s, _, _ = metrics(d)
            done = value(s, "pressline_articles_total", result="published") + \
                value(s, "pressline_articles_total", result="failed")
            return s if done == 4 else None
        wait_for("four articles finished", finished, timeout=30)
        # The worker that crashed is replaced and says READY again.
        wait_for("/ready 200 again", lambda: get(d.url("/ready"))[0] == 200)
        # One catch-up request, through the real client.
        r = subprocess.run([CLIENT, "sub", "--since", "0", "--count", "4", "--timeout", "10",
                            "--endpoint", d.pub, "--replay", d.replay],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert len(r.stdout.splitlines()) == 4, r.stdout

        s, types, body = metrics(d)
        assert types["pressline_articles"] == "counter", types
        assert types["pressline_stage_seconds"] == "histogram", types
        assert types["pressline_stage_retries"] == "counter", types
        assert types["pressline_replay_requests"] == "counter", types
        for g in ("pressline_in_flight", "pressline_queued", "pressline_intake_paused",
                  "pressline_workers", "pressline_last_seq"):
            assert types[g] == "gauge", (g, types)
        for name in ("pressline_articles_total", "pressline_stage_seconds",
                     "pressline_workers", "pressline_last_seq"):
            assert "# HELP " + name in body and "# TYPE " + name in body, name
        assert value(s, "pressline_articles_total", result="published") == 2
        assert value(s, "pressline_articles_total", result="failed") == 2
        # clean answered all four; check answered a, b (its FAIL) and e,
        # while c's two attempts died without an answer: one retry.
        assert value(s, "pressline_stage_seconds_count", stage="clean") == 4
        assert value(s, "pressline_stage_seconds_count", stage="check") == 3
        assert value(s, "pressline_stage_retries_total", stage="check") == 1
        assert value(s, "pressline_stage_retries_total", stage="clean") == 0
        for stage, count in (("clean", 4), ("check", 3)):
            buckets = sorted((float(dict(k[1])["le"]), v) for k, v in s.items()
                             if k[0] == "pressline_stage_seconds_bucket"
                             and dict(k[1])["stage"] == stage)
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), (stage, buckets)
            assert buckets[-1] == (float("inf"), count), (stage, buckets)
            assert value(s, "pressline_stage_seconds_sum", stage=stage) > 0
        # The thread stage's CPU inside process(); the process stage has none
        # here (its worker's time is its own process's).
        assert types["pressline_stage_process_cpu_seconds"] == "counter", types
        # (Not bounded by the stage's seconds: the broker times with the
        # loop's clock of the turn, which can be older than the answer.)
        cpu = value(s, "pressline_stage_process_cpu_seconds_total", stage="clean")
        with open("/proc/%d/stat" % d.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        daemon_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        assert 0 < cpu <= daemon_cpu, (cpu, daemon_cpu, body)
        assert ("pressline_stage_process_cpu_seconds_total", (("stage", "check"),)) not in s, body
        assert value(s, "pressline_in_flight") == 0
        assert value(s, "pressline_queued") == 0
        assert value(s, "pressline_intake_paused") == 0
        assert value(s, "pressline_workers", stage="clean") == 1
        assert value(s, "pressline_workers", stage="check") == 1
        assert value(s, "pressline_replay_requests_total") >= 1
        assert value(s, "pressline_last_seq") == max(seqs(d)), (seqs(d), body)
        assert get(d.url("/health"))[0] == 200
        assert d.terminate() == 0, d.log_text()
    except AssertionError:
        print(d.log_text(), file=sys.stderr)
        raise
    finally:
        d.stop()


def check_not_ready_without_a_worker():
    sock = ipc_endpoint()
    d = Daemon([{"name": "clean"},
                {"name": "remote", "plugin": os.path.join(PLUGINS, "testkit.so"),
                 "spawn": "none", "endpoint": sock}])
    try:
        up(d)
        assert get(d.url("/health"))[0] == 200
        status, headers, body = get(d.url("/ready"))
        assert status == 503, (status, body)
        assert headers["Content-Type"] == "application/json", headers
        why = json.loads(body)
        assert why["ready"] is False, why
        assert "stage remote has no live worker" in why["reasons"], why
        assert not any("clean" in r for r in why["reasons"]), why
        s, _, _ = metrics(d)
        assert value(s, "pressline_workers", stage="remote") == 0
        assert value(s, "pressline_workers", stage="clean") == 1
        assert get(d.url("/nothing"))[0] == 404
        status, headers, _ = get(d.url("/metrics"), method="POST")
        assert status == 405 and "GET" in headers["Allow"], (status, headers)
        assert get(d.url("/ready"), method="DELETE")[0] == 405
        assert get(d.url("/metrics"), method="HEAD")[0] == 200
        assert d.terminate() == 0, d.log_text()
    except AssertionError:
        print(d.log_text(), file=sys.stderr)
        raise
    finally:
        d.stop()


def check_port_in_use_is_a_start_error():
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    d = Daemon([{"name": "clean"}], http="127.0.0.1:%d" % port)
    try:
        rc = d.proc.wait(15)
        log = d.log_text()
        assert rc == 1, (rc, log)
        assert "http.listen 127.0.0.1:%d" % port in log, log
        assert "Address already in use" in log, log
    finally:
        holder.close()
        d.stop()


def check_empty_listen_turns_it_off():
    d = Daemon([{"name": "clean"}], http="")
    try:
        wait_for("the daemon to watch", lambda: "watching" in d.log_text())
        assert d.proc.poll() is None, d.log_text()
        assert "metrics and probes" not in d.log_text()
    finally:
        d.stop()


def status(*args):
    r = subprocess.run([CLIENT, "status"] + list(args), capture_output=True, text=True,
                       timeout=30)
    return r.returncode, r.stdout, r.stderr


def check_status_command():
    d = Daemon([{"name": "clean"}])
    try:
        up(d)
        wait_for("/ready 200", lambda: get(d.url("/ready"))[0] == 200)
        d.drop("a.txt", "Ministers met in Brussels on Tuesday to talk about the budget.")
        wait_for("one article", lambda: os.listdir(os.path.join(d.dir, "outbox")))
        wait_for("its count", lambda: "1 published" in status("--http", d.http)[1])
        rc, out, err = status("--http", d.http)
        assert rc == 0, (rc, out, err)
        assert out.startswith("ready"), out
        for want in ("1 published", "0 failed", "0 in flight", "0 queued", "intake running",
                     "clean: 1 worker", "mean "):
            assert want in out, (want, out)
        # --config reads http.listen from the daemon's own configuration.
        rc, out, err = status("--config", d.config)
        assert rc == 0 and out.startswith("ready"), (rc, out, err)
        assert d.terminate() == 0, d.log_text()
    except AssertionError:
        print(d.log_text(), file=sys.stderr)
        raise
    finally:
        d.stop()
    sock = ipc_endpoint()
    d = Daemon([{"name": "clean"},
                {"name": "remote", "plugin": os.path.join(PLUGINS, "testkit.so"),
                 "spawn": "none", "endpoint": sock}])
    try:
        up(d)
        rc, out, err = status("--http", d.http)
        assert rc == 1, (rc, out, err)
        assert out.startswith("not ready"), out
        assert "stage remote has no live worker" in out, out
        assert "remote: 0 workers" in out, out
    finally:
        d.stop()
    rc, out, err = status("--http", "127.0.0.1:%d" % free_port())
    assert rc == 2, (rc, out, err)
    assert "no daemon answers" in err, err
    rc, out, err = status("--http", "not-an-address")
    assert rc == 2 and "--http" in err, (rc, out, err)


def check_counters_survive_a_reload():
    """A reload replaces the stages (a new generation); the stage counters
    add up the old and the new ones, so Prometheus never sees them go back,
    and /ready and the workers gauge follow the new stages."""
    d = Daemon([{"name": "clean"}])
    try:
        up(d)
        wait_for("/ready 200", lambda: get(d.url("/ready"))[0] == 200)
        d.drop("a.txt", "Ministers met in Brussels on Tuesday to talk about the budget.")
        d.drop("b.txt", "The finance minister said later that an agreement was close.")

        def published(n):
            def got():
                s, _, _ = metrics(d)
                return s if value(s, "pressline_articles_total", result="published") == n else None
            return got
        s0 = wait_for("two published", published(2), timeout=30)
        with open(d.config) as f:
            cfg = json.load(f)
        cfg["stages"] = [{"name": "clean", "workers": 2}]
        tmp = d.config + ".tmp"
        with open(tmp, "w") as f:
            json.dump(cfg, f)
        os.rename(tmp, d.config)
        d.proc.send_signal(signal.SIGHUP)
        wait_for("the reload", lambda: "generation 2 takes new articles" in d.log_text())
        wait_for("two live workers", lambda: value(metrics(d)[0], "pressline_workers",
                                                   stage="clean") == 2)
        d.drop("c.txt", "Talks resumed in Geneva on Friday after a week without progress.")
        cpu_before = value(s0, "pressline_stage_process_cpu_seconds_total", stage="clean")
        assert cpu_before > 0, s0
        s = wait_for("three published", published(3), timeout=30)
        assert value(s, "pressline_stage_seconds_count", stage="clean") == 3, s
        assert value(s, "pressline_stage_retries_total", stage="clean") == 0
        # Once generation 1 is freed, its counts are still there.
        wait_for("generation 1 stopped", lambda: "generation 1: no article left" in d.log_text())
        time.sleep(0.3)
        s, _, _ = metrics(d)
        assert value(s, "pressline_stage_seconds_count", stage="clean") == 3, s
        # The CPU counter keeps generation 1's threads' time too.
        assert value(s, "pressline_stage_process_cpu_seconds_total", stage="clean") > cpu_before, s
        assert get(d.url("/ready"))[0] == 200
        assert d.terminate() == 0, d.log_text()
    except AssertionError:
        print(d.log_text(), file=sys.stderr)
        raise
    finally:
        d.stop()


GROUPS = {
    "http": [check_metrics_after_articles, check_not_ready_without_a_worker,
             check_port_in_use_is_a_start_error, check_empty_listen_turns_it_off,
             check_counters_survive_a_reload],
    "status": [check_status_command],
}

if __name__ == "__main__":
    failed = 0
    for check in GROUPS[sys.argv[1] if len(sys.argv) > 1 else "http"]:
        try:
            check()
            print("ok", check.__name__)
        except Exception as e:  # report every check, then fail
            failed += 1
            print("FAIL", check.__name__, repr(e))
            import traceback
            traceback.print_exc()
    shutil.rmtree(_sockets, ignore_errors=True)
    sys.exit(1 if failed else 0)
