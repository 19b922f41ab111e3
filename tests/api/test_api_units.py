# The device API's parts on their own: queue durability, signer checks, skill shapes, routes and
# the HTTP transport rules, against a small in-test provider; writes through a ChainWriter whose
# proven state is stood in for. The same service against the real light client: reads on the
# scenario network (test_api_scenarionet.py), writes on the chain (test_chain_api_writes.py).

import json
import os
import socket
import threading

import pytest

from lightclient.chip import cosmos_tx as ct
from lightclient.chip import txs
from lightclient.chip.crypto import backend
from lightclient.api import skills
from lightclient.api.queue import QueueFull, WriteQueue
from lightclient.api.server import ApiApp, host_allowed, refusal
from lightclient.api.service import DeviceService
from lightclient.api.signer import McuSigner, SeedFileSigner, SignerError
from lightclient.api.submitter import Submitter
from lightclient.chip.crypto import ed25519
from lightclient.chip.core.errors import LightClientError, SignatureError

UUID = "dev-1"
CHAIN = "test-chain"
SEED = bytes(range(32))


class NoData(LightClientError):
    pass


class Proven:
    def __init__(self, record, height=10, stale=False, age_s=3.0, agreed=True):
        self.record = record
        self.agreed = agreed
        self.uuid = UUID
        self.height = height
        self.header_hash = bytes([0xAB]) * 32
        self.header_time_ns = 1_700_000_000 * 10**9
        self.stale = stale
        self.age_s = age_s


class FakeClient:
    def __init__(self, record):
        self.proven = Proven(record)
        self.fail = None
        self.sent = []
        self.refuse = None
        self.calls = 0

    def device_record(self, uuid):
        assert uuid == UUID
        self.calls += 1
        if self.fail:
            raise self.fail
        return self.proven

    def broadcast_tx(self, tx):
        if self.refuse:
            raise self.refuse
        self.sent.append(tx)
        return "HASH%d" % len(self.sent)


def record():
    return {"uuid": UUID, "device_pubkey": ed25519.public_key(SEED).hex(), "owner_pubkey": "00" * 32,
            "account": "acc", "version": 3,
            "device": {"uuid": UUID, "name": "kitchen"},
            "setting": {"lang": "en-us", "system_unit": "metric"},
            "location": {"city": {"name": "Lawrence"}},
            "skills": [{"skill_gid": "@|weather.skill", "display_name": "Weather",
                        "skillMetadata": {"sections": [{"fields": [
                            {"name": "units", "type": "text", "value": "metric"},
                            {"name": "verbose", "type": "checkbox", "value": "true"},
                            {"name": "radius", "type": "number", "value": "2.5"}]}]}}],
            "subscription": {"@type": "free"}, "writes": {}}


@pytest.fixture
def seed_file(tmp_path):
    p = tmp_path / "seed"
    p.write_text(SEED.hex())
    os.chmod(p, 0o600)
    return str(p)


class AccountSigner:
    """The device's secp256k1 account key (held here: a test)."""

    def account_key(self):
        return backend.secp256k1_public_key(SEED)

    def sign_doc(self, doc):
        return ct.sign_secp256k1(SEED)(doc)


class PlainSealer:
    """Stands in for the chip's sealing of the device's writes (api/sealed_writes.ChipSealer,
    run for real in tests/localchain/test_chain_device_writes.py): an "envelope" here is
    b"sealed|kind|" + the plaintext, so a test can read what a write carries."""

    @staticmethod
    def envelope(kind, plaintext):
        return b"sealed|" + kind.encode() + b"|" + plaintext

    def seal(self, kind, plaintext, prove, pending=0):
        return self.envelope(kind, plaintext)

    def open(self, kind, env, prove):
        return env.split(b"|", 2)[2]


def chain_writer(client, q, proven=None):
    """A real ChainWriter (it builds and signs the SDK transaction, checking the signature)
    whose proven state and chip sealing are stood in for: account sequence 5, the last writes
    (their envelopes) in `proven`."""
    from lightclient.api.chain_writes import ChainWriter
    w = ChainWriter(client, CHAIN, AccountSigner(), q, sealer=PlainSealer())
    w.proven = {} if proven is None else proven
    w.view = lambda: client.proven
    w.account = lambda view: {"sequence": 5, "account_number": 7}
    w.account_number = 7
    w.last_write = lambda kind, view: w.proven.get(kind)
    return w


def landed(w, kind, data_json):
    """The chain now proves `data_json` as the device's last write of `kind`."""
    w.proven[kind] = PlainSealer.envelope(kind, data_json.encode())


def carries(entry):
    """The entry's signed TxRaw holds its write: the MsgDeviceWrite and the data bytes."""
    return ct.MSG_DEVICE_WRITE.encode() in entry.tx and entry.data.encode() in entry.tx


@pytest.fixture
def service(tmp_path, seed_file):
    client = FakeClient(record())
    q = WriteQueue(tmp_path / "q", max_entries=3)
    svc = DeviceService(client, UUID, CHAIN, SeedFileSigner(seed_file), q, fresh_for_s=0,
                        writer=chain_writer(client, q))
    return svc, client, q



# -- skill uses (docs/usage-tokens.md, "Counting uses") -----------------------------------------
def handler_report(skill, ident="ident-1", handler="handle_weather"):
    """What mycroft-core's skill handler wrapper reports (report_timing, system skill_handler)."""
    return json.dumps({"id": ident, "system": "skill_handler", "start_time": 1.7e9, "time": 0.2,
                       "handler": handler, "skill_id": skill}).encode()


def test_the_metric_route_counts_a_skill_handlers_run_per_epoch_of_verified_time(service,
                                                                                   tmp_path):
    from lightclient.api.skill_uses import SkillUses
    from lightclient.usage_counter import UsageCounter
    svc, client, q = service
    epoch_s = 600

    def epoch_now():            # stands in for chain_epoch: the verified header's time
        return client.device_record(UUID).header_time_ns // 10 ** 9 // epoch_s
    e0 = 1_700_000_000 // epoch_s
    (tmp_path / "state").mkdir()
    svc.uses = SkillUses(UsageCounter(str(tmp_path / "state")), epoch_now)

    def post(name, body):
        return svc.handle("POST", "/v1/device/%s/metric/%s" % (UUID, name), {}, body)
    r = post("timing", handler_report("Mycroft-Weather.mycroftai"))
    assert r.status == 202
    assert r.headers["X-Lightclient-Skill-Use"] == "counted:mycroft-weather.mycroftai:%d:1" % e0
    # a second handler of the same interaction and skill is not a second use; another skill is
    assert post("timing", handler_report("mycroft-weather.mycroftai", handler="converse")
                ).headers["X-Lightclient-Skill-Use"] == "repeat"
    assert post("timing", handler_report("mycroft-joke.mycroftai")).headers[
        "X-Lightclient-Skill-Use"] == "counted:mycroft-joke.mycroftai:%d:1" % e0
    # not uses: the intent service's timing, a skill's own metric, an STT timing
    for name, body in (("timing", b'{"id": "i2", "system": "intent_service", "intent_type": "x"}'),
                       ("weather", handler_report("mycroft-weather.mycroftai", "i3")),
                       ("timing", b'{"stt": 0.25}')):
        assert "X-Lightclient-Skill-Use" not in post(name, body).headers
    assert post("timing", handler_report("no skill!", "i4")).headers[
        "X-Lightclient-Skill-Use"] == "not_counted:skill_id"
    # nothing verified now: not counted (and not guessed from the Pi's clock)
    client.fail = NoData("no_verified_data", "nothing verified")
    assert post("timing", handler_report("mycroft-weather.mycroftai", "i5")).headers[
        "X-Lightclient-Skill-Use"] == "not_counted:no_verified_data"
    client.fail = None
    # the next epoch of block time; a restart keeps the counts (the queue is full by now: the
    # metric write is refused, the use still counts)
    client.proven.header_time_ns += epoch_s * 10 ** 9
    svc.uses = SkillUses(UsageCounter(str(tmp_path / "state")), epoch_now)
    r = post("timing", handler_report("mycroft-weather.mycroftai", "i6"))
    assert r.status == 507
    assert r.headers["X-Lightclient-Skill-Use"] == "counted:mycroft-weather.mycroftai:%d:1" \
        % (e0 + 1)
    post("timing", handler_report("mycroft-weather.mycroftai", "i7"))
    assert UsageCounter(str(tmp_path / "state")).counts() == {
        e0: {"mycroft-weather.mycroftai": 1, "mycroft-joke.mycroftai": 1},
        e0 + 1: {"mycroft-weather.mycroftai": 2}}


def test_the_use_counter_file_is_checked_and_keeps_only_epochs_that_can_become_tokens(tmp_path):
    from lightclient.chip.core.errors import StoreError
    from lightclient.usage_counter import UsageCounter
    c = UsageCounter(str(tmp_path))
    c.add(10, "a"), c.add(11, "a"), c.add(12, "b")
    assert c.counts() == {11: {"a": 1}, 12: {"b": 1}}     # the issuer takes 12 or 11 only
    for bad in (b"[]", b"{not json", b'{"x1": {}}', b'{"1": {"a": -1}}',
                '{"\u00b2": {}}'.encode(), b" " * (1 << 20) + b"{}"):
        (tmp_path / "usage-counts.json").write_bytes(bad)
        with pytest.raises(StoreError) as e:
            c.add(12, "a")
        assert e.value.check == "usage_counts_file", bad[:20]

# -- signer ----------------------------------------------------------------------------------
def test_seed_signer_signs_verifiably_and_refuses_a_readable_seed(seed_file, tmp_path):
    s = SeedFileSigner(seed_file)
    assert s.public_key() == ed25519.public_key(SEED)
    sig = s.sign(b"hello")
    assert ed25519.verify(s.public_key(), b"hello", sig)
    assert SEED.hex() not in repr(s)
    os.chmod(seed_file, 0o644)
    with pytest.raises(SignerError) as e:
        SeedFileSigner(seed_file)
    assert e.value.check == "seed_file_mode"
    bad = tmp_path / "bad"
    bad.write_text("abcd")
    os.chmod(bad, 0o600)
    with pytest.raises(SignerError):
        SeedFileSigner(str(bad))


def test_mcu_signer_signs_sign_docs_only_and_a_lying_chip_is_caught():
    """The chip signs the device's writes as SignDocs with its account key (no Ed25519 "tx"
    any more); a signature that does not verify against the account key is refused before
    anything is queued."""
    from lightclient.api.chain_writes import ChainWriter

    class Chip:
        def __init__(self, lie=False):
            self.lie = lie

        def public_key(self):
            return ed25519.public_key(SEED)

        def account_key(self):
            return backend.secp256k1_public_key(SEED)

        def sign_tx(self, doc):
            return ct.sign_secp256k1(SEED)(doc + (b"x" if self.lie else b""))

    with pytest.raises(SignerError) as e:
        McuSigner(Chip()).sign(b"m")
    assert e.value.check == "signer_kind"
    assert len(ChainWriter(FakeClient(record()), CHAIN, McuSigner(Chip()))._sign(b"doc")) == 64
    with pytest.raises(SignatureError):
        ChainWriter(FakeClient(record()), CHAIN, McuSigner(Chip(lie=True)))._sign(b"doc")


def test_signers_say_how_well_the_device_key_is_kept(tmp_path):
    class Chip:
        said = {"key_protection": "no (development board)"}

        def public_key(self):
            return ed25519.public_key(SEED)

        def status(self):
            if self.said is None:
                raise OSError("gone")
            return self.said

    chip = Chip()
    assert McuSigner(chip).key_protection() == "no (development board)"
    chip.said = None
    assert McuSigner(chip).key_protection().startswith("unknown (the microcontroller did not")
    seed_file = tmp_path / "seed"
    seed_file.write_text(SEED.hex())
    os.chmod(seed_file, 0o600)
    assert SeedFileSigner(str(seed_file)).key_protection() == \
        "no (the device key is a file on the Pi)"


def test_a_signer_that_cannot_open_its_port_is_a_signer_error():
    from lightclient.api.signer import signer_from_spec
    with pytest.raises(SignerError) as e:
        signer_from_spec("mcu:/dev/ttyDOES-NOT-EXIST")
    assert e.value.check == "mcu_port" and "ttyDOES-NOT-EXIST" in str(e.value)


# -- skills -----------------------------------------------------------------------------------
def test_skill_shapes_follow_ovos_backend_client(tmp_path, monkeypatch):
    for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(k, str(tmp_path / k.lower()))   # ovos creates its dirs on import
    from ovos_backend_client.database import SkillSettingsModel
    rec = record()
    m = skills.settings_map(rec["skills"])
    assert m == {"weather.skill": {"units": "metric", "verbose": True, "radius": 2.5}}
    v1 = skills.v1_list(rec["skills"])
    model = SkillSettingsModel.deserialize(v1[0])
    assert model.skill_id == "weather.skill" and model.skill_settings == m["weather.skill"]
    up = SkillSettingsModel("weather.skill", {"units": "imperial", "radius": 0.5},
                            rec["skills"][0]["skillMetadata"]).serialize()
    merged = skills.merge_upload(rec["skills"], skills.canonicalizable(up))
    assert len(merged) == 1
    assert skills.settings_map(merged)["weather.skill"]["radius"] == 0.5
    txs.canonical_json(merged)                    # no floats left
    merged2 = skills.merge_upload(merged, {"skill_gid": "@|timer", "skillMetadata": {}})
    assert [skills.skill_id_of(e) for e in merged2] == ["weather.skill", "timer"]


# -- queue ------------------------------------------------------------------------------------
def test_queue_survives_restart_keeps_order_and_nonces(tmp_path):
    d = tmp_path / "q"
    q = WriteQueue(d, max_entries=2)
    a = q.enqueue("metrics", UUID, lambda n: b'{"n":%d}' % n, nonce_floor=100)
    b = q.enqueue("metrics", UUID, lambda n: b'{"n":%d}' % n)
    assert (a.nonce, b.nonce) == (100, 101)
    with pytest.raises(QueueFull):
        q.enqueue("metrics", UUID, lambda n: b"x")
    (d / "pending" / "0000000000000009.json.tmp").write_bytes(b"half a wri")
    q2 = WriteQueue(d, max_entries=2)             # a restart: same entries, same order
    assert [e.id for e in q2.pending()] == [a.id, b.id]
    assert [e.tx for e in q2.pending()] == [b'{"n":100}', b'{"n":101}']
    assert not (d / "pending" / "0000000000000009.json.tmp").exists()
    q2.delivered(q2.pending()[0])
    q2.dead_letter(q2.pending()[0], {"check": "refused", "code": 5})
    q3 = WriteQueue(d)
    assert q3.pending() == []
    dead = q3.dead_letters()
    assert dead[0]["entry"]["id"] == b.id and dead[0]["reason"]["code"] == 5
    c = q3.enqueue("metrics", UUID, lambda n: b"%d" % n)
    assert c.nonce == 102 and c.seq == 3          # never reused after delivery


def test_queue_keeps_a_corrupt_entry_in_the_dead_letters(tmp_path):
    d = tmp_path / "q"
    q = WriteQueue(d)
    q.enqueue("metrics", UUID, lambda n: b"1")
    (d / "pending" / "0000000000000001.json").write_bytes(b"{garbage")
    q2 = WriteQueue(d)
    assert q2.pending() == []
    assert q2.dead_letters()[0]["reason"]["check"] == "queue_entry_corrupt"


def test_submitter_delivers_in_order_retries_and_dead_letters(tmp_path):
    q = WriteQueue(tmp_path / "q")
    client = FakeClient(record())
    for i in range(3):
        q.enqueue("metrics", UUID, lambda n: b"tx%d" % n)
    sub = Submitter(q, client.broadcast_tx)
    client.refuse = LightClientError("no_source", "all down")
    assert sub.step() == "retry" and len(q.pending()) == 3
    client.refuse = LightClientError("tx_rejected", "unparseable answer", code=-1)
    assert sub.step() == "retry"
    client.refuse = LightClientError("tx_rejected", "checktx", code=7, log="nonce")
    # one node's refusal is a claim: dropped only after repeated refusals
    assert [sub.step() for _ in range(3)] == ["retry", "retry", "dead"]
    assert len(q.pending()) == 2
    client.refuse = None
    assert sub.step() == "delivered" and sub.step() == "delivered" and sub.step() == "idle"
    assert client.sent == [b"tx2", b"tx3"]
    assert q.dead_letters()[0]["reason"]["code"] == 7
    assert q.dead_letters()[0]["reason"]["refusals"] == 3


def test_cosmos_entries_keep_binary_tx_and_data_and_are_re_signed_in_place(tmp_path):
    """A Cosmos SDK chain's entry: TxRaw bytes (any byte) with the write's JSON beside it; a
    re-sign replaces the file atomically, survives a restart, and moves the next nonce on."""
    d = tmp_path / "q"
    q = WriteQueue(d)
    a = q.enqueue("metrics", UUID, lambda n: b"\x0a\xff" + bytes([n]), nonce_floor=5,
                  data='{"name":"x"}')
    assert a.nonce == 5 and a.write_data() == {"name": "x"}
    b = q.resign(a, 9, lambda n: b"\x00\x80" + bytes([n]))
    assert (b.seq, b.nonce, b.tx, b.data) == (a.seq, 9, b"\x00\x80\x09", a.data)
    assert b.tx_hash != a.tx_hash
    q2 = WriteQueue(d)
    [e] = q2.pending()
    assert (e.nonce, e.tx, e.write_data()) == (9, b"\x00\x80\x09", {"name": "x"})
    assert q2.enqueue("metrics", UUID, lambda n: b"", data="1").nonce == 10
    # a sequence proven now: after the pending ones, whatever the counter says
    assert q2.enqueue("metrics", UUID, lambda n: b"", nonce_floor=4, data="1",
                      from_pending=True).nonce == 11
    for e in q2.pending():
        q2.delivered(e)
    assert q2.enqueue("metrics", UUID, lambda n: b"", nonce_floor=4, data="1",
                      from_pending=True).nonce == 4
    (d / "pending" / ("%016d.json" % e.seq)).write_text(json.dumps(
        dict(e.to_dict(), tx_b64="not base64!")))
    assert WriteQueue(d).dead_letters()[0]["reason"]["check"] == "queue_entry_corrupt"


def test_chain_confirm_reads_proven_state_and_takes_no_nodes_word_for_delivery(tmp_path):
    """ChainWriter.confirm over stand-ins for what it proves (the account, the last write of a
    kind) and for a node's /tx answer."""
    from lightclient.api import chain_writes
    from lightclient.api.submitter import SPENT
    from lightclient.sources import NoSource

    class Signer:
        def account_key(self):
            return b"\x02" + b"\x11" * 32

    class Pool:
        answer = None

        def race(self, fn):
            if self.answer is None:
                raise NoSource("all_failed", "no node knows it")
            return self.answer, None

    class Client:
        pool = Pool()

    q = WriteQueue(tmp_path / "q")
    w = chain_writes.ChainWriter(Client(), CHAIN, Signer(), q)
    state = {"sequence": 5, "write": None}
    w.view = lambda: type("V", (), {"height": 40})()
    w.account = lambda view: {"sequence": state["sequence"], "account_number": 7}
    w.last_write = lambda kind, view: state["write"]
    e = q.enqueue("metrics", UUID, lambda n: b"tx:" + b"env-1" * 9, nonce_floor=5,
                  data='{"a":1}')
    assert w.confirm(e) is None                           # its sequence not spent yet
    state["sequence"] = 6
    state["write"] = b"env-1" * 9                         # the stored envelope is the entry's
    assert w.confirm(e) is True                           # proven: delivered
    state["write"] = b"env-0" * 9                         # another envelope of its kind
    assert w.confirm(e) == SPENT                          # no node knows it: re-sign
    Client.pool.answer = {"tx_result": {"code": 11, "codespace": "sdk", "log": "out of gas"}}
    r = w.confirm(e)
    assert (r["check"], r["code"], r["codespace"], r["log"]) == ("tx_failed", 11, "sdk",
                                                                 "out of gas")
    Client.pool.answer = {"tx_result": {"code": 0}}
    assert w.confirm(e)["check"] == "tx_unproven"         # a node's "fine" is not delivery
    # a write larger than one sealed write is refused up front, with the limit
    with pytest.raises(chain_writes.TxTooLarge) as big:
        w.builder("metrics", '"%s"' % ("x" * 8200), view=object())
    assert big.value.limit == chain_writes.MAX_WRITE_JSON == 4096
    # without a chip to seal it, no write at all (nothing goes out in plaintext)
    with pytest.raises(LightClientError) as e:
        w.builder("metrics", '{"a":1}', view=object())
    assert e.value.check == "writes_sealed"


def test_serve_api_on_a_cosmos_chain_signs_with_the_account_key(tmp_path):
    """A Cosmos SDK chain's config: serve-api's writes are the device's SDK transactions (a
    ChainWriter with the secp256k1 account key); the scenario network's config has no writes."""
    import argparse
    from lightclient.api import chain_writes
    from lightclient.api.cli import build_app
    from lightclient.chip.crypto import backend
    from lightclient.config import Config
    key = tmp_path / "account.key"
    key.write_text(SEED.hex())
    os.chmod(key, 0o600)
    for cosmos in (True, False):
        cfg = Config(CHAIN, 1, b"\x01" * 32, str(tmp_path / "s"), central="http://127.0.0.1:9",
                     device_uuid=UUID, check_unbonding=cosmos)
        cfg.save(str(tmp_path / "c.json"))
        args = argparse.Namespace(config=str(tmp_path / "c.json"), queue=None, token_file=None,
                                  signer="secp256k1:%s" % key, port=0)
        with socket.create_server(("127.0.0.1", 0)) as sock:
            app = build_app(args, sock)
        w = app.service.writer
        if cosmos:
            assert isinstance(w, chain_writes.ChainWriter)
            assert w.pub == backend.secp256k1_public_key(SEED)
            assert w.address.startswith("mycroft1") and app.submitter.resign == w.resign
        else:
            assert w is None and app.submitter is None       # no writes: nothing to send


def test_a_sequence_mismatch_is_re_signed_never_dropped(tmp_path):
    from lightclient.txclient import TxRejected
    q = WriteQueue(tmp_path / "q")
    q.enqueue("metrics", UUID, lambda n: b"seq%d" % n, nonce_floor=3, data="1")
    sent, chain = [], {"expected": 7}

    def broadcast(tx):
        sent.append(tx)
        if tx != b"seq%d" % chain["expected"]:
            raise TxRejected("tx_rejected", "checktx", code=32, codespace="sdk",
                             log="account sequence mismatch")
        return "H"

    def resign(entry, err):
        return q.resign(entry, chain["expected"], lambda n: b"seq%d" % n)

    sub = Submitter(q, broadcast, confirm=lambda e: e.nonce == 7 and sent[-1] == b"seq7" or None,
                    resign=resign, refusals_to_drop=1)
    outcomes = [sub.step() for _ in range(4)]
    assert outcomes == ["resigned", "sent", "delivered", "idle"], outcomes
    assert sent == [b"seq3", b"seq7"] and sub.resigned == 1 and q.dead_letters() == []
    # a sequence proven spent without the write (it failed in its block): a dead letter
    q.enqueue("metrics", UUID, lambda n: b"seq%d" % n, nonce_floor=8, data="2")
    chain["expected"] = 8
    failed = {"check": "tx_failed", "code": 11, "codespace": "sdk", "log": "out of gas"}
    sub = Submitter(q, broadcast, confirm=lambda e: failed if sent[-1] == b"seq8" else None,
                    resign=resign)
    assert [sub.step(), sub.step()] == ["sent", "dead"]
    assert q.dead_letters()[-1]["reason"] == failed and q.pending() == []
    # the same code from another codespace is a refusal like any other, with its codespace
    q.enqueue("metrics", UUID, lambda n: b"x", data="1")

    def refuse(tx):
        raise TxRejected("tx_rejected", "checktx", code=32, codespace="devices", log="no")
    sub = Submitter(q, refuse, resign=resign, refusals_to_drop=1)
    assert sub.step() == "dead"
    assert q.dead_letters()[-1]["reason"]["codespace"] == "devices"


# -- routes (no HTTP) -------------------------------------------------------------------------
def test_reads_come_from_the_proven_record_with_proof_headers(service):
    svc, client, _ = service
    r = svc.handle("GET", "/v1/device/%s/setting" % UUID, {"Device": UUID}, b"")
    assert r.status == 200 and r.body == record()["setting"]
    assert r.headers["X-Lightclient-Height"] == "10"
    assert r.headers["X-Lightclient-Header-Hash"] == "AB" * 32
    assert r.headers["X-Lightclient-Stale"] == "false"
    assert float(r.headers["X-Lightclient-Age"]) == pytest.approx(3.0, abs=0.2)
    assert svc.handle("GET", "/v1/device/%s" % UUID, {}, b"").body["name"] == "kitchen"
    assert svc.handle("GET", "/v1/device/%s/skill/settings" % UUID, {}, b"").body == {
        "weather.skill": {"units": "metric", "verbose": True, "radius": 2.5}}
    client.proven = Proven(record(), stale=True, age_s=500)
    r = svc.handle("GET", "/v1/device/%s/location" % UUID, {}, b"")
    assert r.headers["X-Lightclient-Stale"] == "true" and r.body["city"]["name"] == "Lawrence"


def test_the_witness_cross_check_is_in_every_answer(service):
    """issue 16: a head no witness confirmed in time is served verified, and says so."""
    svc, client, _ = service
    path = "/v1/device/%s/setting" % UUID
    assert svc.handle("GET", path, {}, b"").headers["X-Lightclient-Agreed"] == "true"
    client.proven = Proven(record(), agreed=False)
    r = svc.handle("GET", path, {}, b"")
    assert r.status == 200 and r.headers["X-Lightclient-Agreed"] == "false"
    client.proven = Proven(record(), agreed=None)     # loaded from disk: never asked this run
    assert svc.handle("GET", path, {}, b"").headers["X-Lightclient-Agreed"] == "unknown"


def test_no_verified_data_is_a_503_never_an_answer(service):
    svc, client, _ = service
    client.fail = NoData("no_verified_data", "nothing cached")
    r = svc.handle("GET", "/v1/device/%s/setting" % UUID, {}, b"")
    assert r.status == 503 and isinstance(r.body, str)
    assert r.headers["X-Lightclient-Error"] == "no_verified_data"
    client.fail = None
    client.proven = Proven(None)                  # proven absent
    r = svc.handle("GET", "/v1/device/%s/setting" % UUID, {}, b"")
    assert r.status == 401 and r.headers["X-Lightclient-Error"] == "device_not_registered"


def test_wrong_device_and_bad_token_are_refused(tmp_path, service):
    svc, _, _ = service
    assert svc.handle("GET", "/v1/device/other/setting", {}, b"").status == 401
    assert svc.handle("GET", "/v1/device/%s/setting" % UUID, {"Device": "other"}, b"").status == 401
    svc.tokens = ("secret", "refresh")
    assert svc.handle("GET", "/v1/device/%s" % UUID, {"Authorization": "Bearer nope"},
                      b"").status == 401
    ok = svc.handle("GET", "/v1/device/%s" % UUID, {"Authorization": "Bearer secret"}, b"")
    assert ok.status == 200
    t = svc.handle("GET", "/v1/auth/token", {"Authorization": "Bearer secret"}, b"")
    assert t.body["accessToken"] == "secret" and t.body["uuid"] == UUID
    assert t.body["expiration"] >= 86400       # seconds from now; 0 would mean "expired"
    t = svc.handle("GET", "/v1/auth/token", {"Authorization": "Bearer refresh"}, b"")
    assert t.status == 200 and t.body["accessToken"] == "refresh"


def test_writes_are_signed_device_writes_queued_until_full(service):
    svc, _, q = service
    meta = {"skill_gid": "@|weather.skill", "skillMetadata": {"sections": [{"fields": [
        {"name": "radius", "type": "number", "value": 7.25}]}]}}
    r = svc.handle("PUT", "/v1/device/%s/skill" % UUID, {}, json.dumps(meta).encode())
    assert r.status == 202 and r.body["queued"] and r.headers["X-Lightclient-Queue-Id"]
    e = q.pending()[0]
    assert e.kind == "skill_settings" and e.nonce == 5 and carries(e)   # the proven sequence
    assert skills.settings_map(e.write_data())["weather.skill"]["radius"] in (7.25, "7.25")
    r = svc.handle("POST", "/v1/device/%s/metric/timing" % UUID, {}, b'{"ms": 1.5}')
    assert r.status == 202 and r.body["metric"] == {"ms": 1.5}
    assert q.pending()[1].write_data() == {"name": "timing", "data": {"ms": "1.5"}}
    assert q.pending()[1].nonce == 6 and carries(q.pending()[1])
    r = svc.handle("PUT", "/v1/device/%s/settingsMeta" % UUID, {}, b'{"skill_gid": "x"}')
    assert r.status == 202
    r = svc.handle("PUT", "/v1/device/%s/settingsMeta" % UUID, {}, b'{"skill_gid": "y"}')
    assert r.status == 507 and len(q.pending()) == 3
    assert svc.handle("PUT", "/v1/device/%s/skill" % UUID, {}, b"{not json").status == 400
    # a second skill upload builds on the pending one, not on the older record
    svc.queue = WriteQueue(q.dir + "2")
    svc.handle("PUT", "/v1/device/%s/skill" % UUID, {}, json.dumps(meta).encode())
    svc.handle("PUT", "/v1/device/%s/skill" % UUID, {},
               json.dumps({"skill_gid": "@|timer", "skillMetadata": {}}).encode())
    last = svc.queue.pending()[-1].write_data()
    assert [skills.skill_id_of(e) for e in last] == ["weather.skill", "timer"]


def test_without_a_chain_writer_a_write_is_refused_saying_why(tmp_path, seed_file):
    """The scenario network takes no transactions: a service with no ChainWriter answers a
    write 503 writes_need_a_chain and queues nothing; its reads still work."""
    client = FakeClient(record())
    q = WriteQueue(tmp_path / "q")
    svc = DeviceService(client, UUID, CHAIN, SeedFileSigner(seed_file), q, fresh_for_s=0)
    for method, route, body in (("PUT", "skill", b'{"skill_gid": "@|x"}'),
                                ("POST", "metric/timing", b"{}"),
                                ("PUT", "settingsMeta", b'{"skill_gid": "y"}')):
        r = svc.handle(method, "/v1/device/%s/%s" % (UUID, route), {}, body)
        assert r.status == 503 and r.headers["X-Lightclient-Error"] == "writes_need_a_chain"
    assert q.pending() == []
    assert svc.handle("GET", "/v1/device/%s/setting" % UUID, {}, b"").status == 200


# -- HTTP transport ---------------------------------------------------------------------------
def _raw_request(sock, text):
    sock.sendall(text.encode())
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode()


def test_http_refuses_non_loopback_peers_and_foreign_hosts(service):
    svc, _, _ = service
    app = ApiApp(svc.client, UUID, port=0, submit=False)
    with app:
        # A connection the server did not get from a loopback TCP peer (a socket pair has no IP
        # address at all) is refused by the real server, before any route runs.
        a, b = socket.socketpair()
        import asyncio
        asyncio.run_coroutine_threadsafe(
            app.server.loop.connect_accepted_socket(app.server.web, b), app.server.loop)
        a.settimeout(5)
        out = _raw_request(a, "GET /v1/device/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % UUID)
        a.close()
        assert out.startswith("HTTP/1.1 403") and "not_loopback" in out
        assert "kitchen" not in out
    assert refusal("192.0.2.7", ["127.0.0.1"]).status == 403
    assert refusal("127.0.0.1", ["127.0.0.1", "evil.example"]).status == 400
    assert refusal("::1", ["[::1]:6713"]) is None
    assert host_allowed("127.0.0.1:6713") and host_allowed("localhost") and host_allowed("[::1]:1")
    assert not host_allowed("evil.example:6713") and not host_allowed("192.0.2.7")


def test_http_round_trip_bounds_and_dns_rebinding(service):
    import http.client
    svc, _, _ = service
    app = ApiApp(svc.client, UUID, CHAIN, svc.signer, svc.queue, port=0, submit=False)
    with app:
        c = http.client.HTTPConnection("127.0.0.1", app.server.port, timeout=5)
        c.request("GET", "/v1/device/%s/setting" % UUID)
        r = c.getresponse()
        assert r.status == 200 and json.loads(r.read()) == record()["setting"]
        assert r.getheader("X-Lightclient-Height") == "10"
        c.request("GET", "/v1/device/%s/setting" % UUID, headers={"Host": "evil.example"})
        r = c.getresponse()
        assert r.status == 403 and b"bad_host" in r.read()
        c = http.client.HTTPConnection("127.0.0.1", app.server.port, timeout=5)
        c.request("PUT", "/v1/device/%s/skill" % UUID, body=b"x" * (70 * 1024))
        assert c.getresponse().status == 413


def test_status_route_is_token_checked_and_reports_the_queue(service):
    svc, _, q = service
    svc.handle("POST", "/v1/device/%s/metric/m" % UUID, {}, b"{}")
    st = svc.handle("GET", "/lightclient/status", {}, b"")
    assert st.status == 200 and st.body["queue"]["pending"] == 1 and st.body["queue"]["ids"]
    assert st.body["key_protected"] == "no (the device key is a file on the Pi)"
    svc.tokens = ("t",)
    assert svc.handle("GET", "/lightclient/status", {}, b"").status == 401
    assert svc.handle("GET", "/nothing/here", {}, b"").status == 404


def test_the_submitter_supersedes_resends_and_takes_no_nodes_word(tmp_path):
    """What the submitter does with the confirm it is given (ChainWriter.confirm on the chain):
    a skill write carried by a later one is never sent; a write the chain does not show is sent
    again after the confirm timeout; a refusal of a write the chain shows is a delivery."""
    q = WriteQueue(tmp_path / "q")
    client = FakeClient(record())
    now = [0.0]
    shown = {}

    def confirm(entry):
        return True if shown.get(entry.kind) == entry.data else None

    sub = Submitter(q, client.broadcast_tx, confirm, confirm_timeout_s=10,
                    monotonic=lambda: now[0])

    def put(kind, data):
        return q.enqueue(kind, UUID, lambda n: b"tx-%d" % n, data=json.dumps(data))
    put("skill_settings", [{"skill_gid": "a"}])
    second = put("skill_settings", [{"skill_gid": "a"}, {"skill_gid": "b"}])
    third = put("metrics", {"name": "m", "data": 1})
    # the first skill write is carried by the second: never sent
    assert sub.step() == "superseded" and client.sent == []
    assert sub.step() == "sent" and len(client.sent) == 1
    # a node said yes, but the chain does not show it: wait, then send again
    assert sub.step() == "waiting"
    now[0] = 11
    assert sub.step() == "sent" and len(client.sent) == 2 and sub.resent == 1
    shown["skill_settings"] = second.data              # it lands
    assert sub.step() == "delivered"
    assert sub.step() == "sent"
    # refused (a replay of what already landed): the chain shows it, so delivered, not dead
    shown["metrics"] = third.data
    now[0] = 30
    client.refuse = LightClientError("tx_rejected", "replay", code=32, log="sequence")
    assert sub.step() == "delivered" and q.pending() == [] and q.dead_letters() == []


CRASHER = r"""
import sys
from lightclient.api.queue import WriteQueue
q = WriteQueue(sys.argv[1], max_entries=100000, max_bytes=1 << 30)
i = 0
while True:
    e = q.enqueue("metrics", "dev-1", lambda n: b'{"payload":"%s","n":%d}' % (b"x" * 2000, n))
    print(e.id, e.nonce, flush=True)          # the acknowledgement a client would get
    if i % 3 == 0:
        head = q.pending()[0]
        print("removing", head.id, flush=True)
        q.delivered(head)
        print("done", head.id, flush=True)
    i += 1
"""


def test_queue_killed_at_random_points_keeps_every_acknowledged_write(tmp_path):
    """SIGKILL the writer at random moments: every write acknowledged and not yet delivered is
    in the queue after a restart, readable, in order, and nonces never repeat."""
    import random
    import subprocess
    import sys
    import time
    rng = random.Random(7)
    d = str(tmp_path / "q")
    nonces_seen = set()
    expected = {}                                # acknowledged, not known to be delivered
    for round_ in range(6):
        p = subprocess.Popen([sys.executable, "-c", CRASHER, d], stdout=subprocess.PIPE,
                             cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                                 os.path.abspath(__file__)))))
        # Killed after a random number of acknowledgements (plus a random instant), counted
        # rather than timed, so a loaded machine's slow start changes nothing.
        seen = []
        acks = rng.randint(4, 12)
        while sum(1 for ln in seen if not ln.startswith((b"removing", b"done"))) < acks:
            line = p.stdout.readline()
            assert line, "the writer stopped before %d acknowledgements" % acks
            seen.append(line)
        time.sleep(rng.random() * 0.02)
        p.kill()
        in_flight = None
        for line in (b"".join(seen) + p.communicate()[0]).decode().splitlines():
            w = line.split()
            if w[0] == "removing":
                in_flight = w[1]
            elif w[0] == "done":
                expected.pop(w[1], None)
                in_flight = None
            else:
                assert int(w[1]) not in nonces_seen    # a nonce is never signed twice
                nonces_seen.add(int(w[1]))
                expected[w[0]] = int(w[1])
        q = WriteQueue(d)
        pending = {e.id: e.nonce for e in q.pending()}
        if in_flight is not None and in_flight not in pending:
            expected.pop(in_flight)              # killed while removing a delivered entry
        assert {k: v for k, v in pending.items() if k in expected} == expected
        assert set(expected) <= set(pending)
        seqs = [int(k[1:]) for k in pending]
        assert seqs == sorted(seqs)
        assert q.dead_letters() == []
        expected = dict(pending)                 # an entry written but not acknowledged counts
    assert len(nonces_seen) > 20


# -- skill uploads never lose an accepted one ------------------------------------------------
def _skill_ids_of_last_write(q):
    return [skills.skill_id_of(e) for e in q.pending()[-1].write_data()]


def test_a_skill_upload_arriving_mid_write_is_not_lost(service):
    """Two uploads at once (the HTTP server runs a thread per request): the second must not be
    built on the same base as the first, or the later write would supersede the earlier one's
    skill away after both were answered 202."""
    svc, _, q = service
    w, second, threads = svc.writer, [], []
    landed(w, "skill_settings", json.dumps(record()["skills"]))
    account = w.account

    def second_upload_arrives(view):
        # the first upload has read its base; another request comes in right now
        if not threads:
            t = threading.Thread(target=lambda: second.append(svc.handle(
                "PUT", "/v1/device/%s/skill" % UUID, {},
                json.dumps({"skill_gid": "@|timer", "skillMetadata": {}}).encode())))
            threads.append(t)
            t.start()
            t.join(0.5)                           # done at once, unless it waits its turn
        return account(view)

    w.account = second_upload_arrives
    r = svc.handle("PUT", "/v1/device/%s/skill" % UUID, {},
                   json.dumps({"skill_gid": "@|alarm", "skillMetadata": {}}).encode())
    threads[0].join(5)
    assert r.status == 202 and second[0].status == 202
    assert sorted(_skill_ids_of_last_write(q)) == ["alarm", "timer", "weather.skill"]


def test_a_skill_upload_after_delivery_builds_on_the_landed_write(tmp_path, seed_file):
    """The record view is reused for a while; once a skill write is confirmed and leaves the
    queue, the next upload must build on a record that holds it, not on the reused copy."""
    client = FakeClient(record())
    q = WriteQueue(tmp_path / "q")
    w = chain_writer(client, q)
    landed(w, "skill_settings", json.dumps(record()["skills"]))
    w.broadcast = lambda tx: client.broadcast_tx(tx)
    w.confirm = lambda e: True if w.proven["skill_settings"] == PlainSealer.envelope(
        e.kind, e.data.encode()) else None
    app = ApiApp(client, UUID, CHAIN, SeedFileSigner(seed_file), q, port=0, fresh_for_s=60,
                 writer=w)
    try:
        svc, sub = app.service, app.submitter
        svc.handle("PUT", "/v1/device/%s/skill" % UUID, {},
                   json.dumps({"skill_gid": "@|timer", "skillMetadata": {}}).encode())
        assert sub.step() == "sent"
        landed(w, "skill_settings", q.pending()[0].data)   # the chain now holds the timer skill
        assert sub.step() == "delivered" and q.pending() == []
        svc.handle("PUT", "/v1/device/%s/skill" % UUID, {},
                   json.dumps({"skill_gid": "@|alarm", "skillMetadata": {}}).encode())
        assert _skill_ids_of_last_write(q) == ["weather.skill", "timer", "alarm"]
    finally:
        app.server.stop()


def test_an_upload_nested_too_deep_is_a_400(service):
    svc, _, q = service
    upload = {"skill_gid": "@|deep", "skillMetadata": {}}
    v = upload
    for _ in range(20):
        v["n"] = {}
        v = v["n"]
    r = svc.handle("PUT", "/v1/device/%s/skill" % UUID, {}, json.dumps(upload).encode())
    assert r.status == 400 and q.pending() == []


def test_a_token_file_with_no_token_is_refused_not_read_as_any_bearer(tmp_path):
    from lightclient.api.cli import Unusable, read_tokens
    p = tmp_path / "tokens"
    p.write_text("access\n\nrefresh \n")
    assert read_tokens(str(p)) == ["access", "refresh"]
    p.write_text("\n  \n")
    with pytest.raises(Unusable, match="no token"):
        read_tokens(str(p))
    p.write_text("a" * 5000)
    with pytest.raises(Unusable, match="longer"):
        read_tokens(str(p))
