"""The device API against the status quo, in one run.

Ours: an unmodified ovos-backend-client (personal backend) asks the local device API for its
settings on a device that boots while the central API is blackholed (accepts connections, never
answers); the light client fails over to peers and answers from verified state.
Status quo: the same client pointed straight at a blackholed backend, which waits out its own
timeouts (connect 3.05 s, read 15 s) and then fails.

Figures: api.settings.status_quo_over_ours (ratio), api.settings.ours_blackholed.seconds,
api.settings.status_quo_blackholed.seconds, and the request latency through the service when
fresh (all nodes up, warm), after failover (warm, central still blackholed) and stale (every
node down, answered from the verified cache).

A burst: 200 clients ask for their settings at once (a Pi's services starting together), alone
and while 50 slow-loris connections trickle their requests: api.concurrent200.p50_seconds /
.p99_seconds / .max_seconds, the same under api.concurrent200_slowloris50.*, and the ratio of the
two p99s, api.concurrent200.slowloris50_over_alone.
"""

import json
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time

DEVICE_SEED = bytes(range(1, 33))
OWNER_SEED = bytes([9]) * 32
UUID = "bench-pi-1"
TOKEN = "bench-token"
NODES = ("central", "peer1", "peer2", "peer3", "peer4")


class BlackholeListener:
    """A backend that accepts TCP connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.held = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.sock.getsockname()[1]

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.stopping = True
        self.sock.close()
        for c in self.held:
            c.close()


def _ovos_api(root, url):
    from ovos_backend_client.api import DeviceApi
    from ovos_backend_client.backends import BackendType
    ident = os.path.join(root, "identity2.json")
    with open(ident, "w") as f:
        json.dump({"uuid": UUID, "access": TOKEN, "refresh": TOKEN, "expires_at": -1}, f)
    return DeviceApi(url=url, version="v1", identity_file=ident,
                     backend_type=BackendType.PERSONAL)


def _burst(port, n=200):
    """n clients each send one GET at the same instant; -> sorted latencies (s). Raises if any
    client gets no 200."""
    import http.client
    start = threading.Barrier(n)
    out = [None] * n

    def one(i):
        start.wait()
        t0 = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            c.request("GET", "/v1/device/%s/setting" % UUID,
                      headers={"Authorization": "Bearer " + TOKEN})
            r = c.getresponse()
            r.read()
            out[i] = (r.status, time.perf_counter() - t0)
        except OSError as e:
            out[i] = (repr(e), time.perf_counter() - t0)
        finally:
            c.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    bad = [o for o in out if o is None or o[0] != 200]
    if bad:
        raise RuntimeError("%d of %d clients got no answer: %r" % (len(bad), n, bad[:3]))
    return sorted(o[1] for o in out)


class _SlowLoris:
    """n connections that each send a request head one byte every 0.2 s."""

    def __init__(self, port, n):
        self.socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self):
        head = b"GET /v1/device/%s/setting HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " % UUID.encode()
        i = 0
        while not self.stop.wait(0.2):
            for s in list(self.socks):
                try:
                    s.sendall(head[i:i + 1] if i < len(head) else b"a")
                except OSError:             # cut off by the server: that is its job
                    self.socks.remove(s)
            i += 1

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()


def _q(lat, p):
    return lat[min(len(lat) - 1, int(round(p * (len(lat) - 1))))]


def _percentiles(name, lat, note):
    return {
        name + ".p50_seconds": {"value": round(_q(lat, 0.5), 4), "unit": "s", "note": note},
        name + ".p99_seconds": {"value": round(_q(lat, 0.99), 4), "unit": "s", "note": note},
        name + ".max_seconds": {"value": round(lat[-1], 4), "unit": "s", "note": note},
    }


def _timed(fn):
    t0 = time.perf_counter()
    try:
        out = fn()
    except Exception as e:             # the status quo ends in a timeout: that is the figure
        out = e
    return time.perf_counter() - t0, out


def run():
    root = tempfile.mkdtemp(prefix="api-bench-")
    keys = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
    saved = {k: os.environ.get(k) for k in keys}
    for k in keys:                     # ovos-backend-client writes under XDG dirs: keep it in tmp
        os.environ[k] = os.path.join(root, k.lower())
    try:
        return _measure(root)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(root, ignore_errors=True)


def _measure(root):
    from lightclient.api.queue import WriteQueue
    from lightclient.api.server import ApiApp
    from lightclient.client import LightClient
    from lightclient.config import from_scenarionet
    from lightclient.chip.crypto import ed25519
    from lightclient.scenarionet.app import device_fixture
    from lightclient.scenarionet.launcher import ScenarioNet

    # The status quo runs in the background (it only waits) while ours is measured.
    hole = BlackholeListener()
    quo = {}
    quo_api = _ovos_api(root, hole.url)

    def status_quo():
        quo["seconds"], quo["result"] = _timed(quo_api.get_settings)

    device = device_fixture(UUID, ed25519.public_key(DEVICE_SEED), ed25519.public_key(OWNER_SEED),
                            height=0)
    with ScenarioNet(os.path.join(root, "net"), validators=21, peers=4, history_blocks=120,
                     block_interval_s=1, devices=[device]) as net:
        expected = net.record(UUID)["setting"]
        net.fault("central", "blackholed")
        quo_thread = threading.Thread(target=status_quo, daemon=True)
        quo_thread.start()

        # A device booting with the central API blackholed: provisioned, nothing synced yet.
        cfg = from_scenarionet(net.directory, os.path.join(root, "state"), device_uuid=UUID)
        client = LightClient(cfg)
        app = ApiApp(client, UUID, cfg.chain_id, None, WriteQueue(os.path.join(root, "q")),
                     TOKEN, port=0, fresh_for_s=0)
        with app:
            api = _ovos_api(root, app.url)
            ours, got = _timed(api.get_settings)
            if got != expected:
                raise RuntimeError("the service did not answer the verified settings: %r"
                                   % (got,))
            failover = [_timed(api.get_settings)[0] for _ in range(5)]
            for n in NODES:
                net.fault(n, "ok")
            time.sleep(0.3)
            _timed(api.get_settings)
            fresh = [_timed(api.get_settings)[0] for _ in range(5)]
            # Bursts against a second service as it runs by default (one proof serves a
            # burst's reads), all nodes up.
            with ApiApp(client, UUID, cfg.chain_id, None, None, TOKEN, port=0) as burst_app:
                port = burst_app.server.port
                _burst(port, 20)            # each burst right after a proof: the server's figure
                crowd = _burst(port)
                loris = _SlowLoris(port, 50)
                try:
                    time.sleep(0.5)
                    _burst(port, 20)
                    crowd_loris = _burst(port)
                finally:
                    loris.close()
            for n in NODES:
                net.fault(n, "down")
            stale = [_timed(api.get_settings)[0] for _ in range(5)]
        quo_thread.join(30)
    hole.close()
    if not isinstance(quo.get("result"), Exception):
        raise RuntimeError("the blackholed backend answered: %r" % (quo.get("result"),))
    return {
        "api.settings.status_quo_over_ours": {
            "value": round(quo["seconds"] / ours, 1), "unit": "x",
            "note": "ovos-backend-client settings request, central API blackholed: straight "
                    "to the backend (times out) over through the verified local API (boot)"},
        "api.settings.ours_blackholed.seconds": {"value": round(ours, 3), "unit": "s",
                                                 "note": "first request after boot, includes "
                                                         "sync and proof"},
        "api.settings.status_quo_blackholed.seconds": {"value": round(quo["seconds"], 2),
                                                       "unit": "s"},
        "api.settings.failover_warm.seconds": {"value": round(statistics.median(failover), 4),
                                               "unit": "s", "note": "median of 5"},
        "api.settings.fresh.seconds": {"value": round(statistics.median(fresh), 4), "unit": "s",
                                       "note": "median of 5, all nodes up"},
        "api.settings.stale.seconds": {"value": round(statistics.median(stale), 4), "unit": "s",
                                       "note": "median of 5, every node down (cache)"},
        **_percentiles("api.concurrent200", crowd, "200 clients at once, one GET each"),
        **_percentiles("api.concurrent200_slowloris50", crowd_loris,
                       "the same while 50 connections trickle their request heads"),
        "api.concurrent200.slowloris50_over_alone": {
            "value": round(_q(crowd_loris, 0.99) / _q(crowd, 0.99), 2), "unit": "x",
            "note": "p99 of the burst with 50 slow-loris connections held over without"},
    }


if __name__ == "__main__":
    for k, v in sorted(run().items()):
        print("%-44s %10s %s" % (k, v["value"], v["unit"]))
