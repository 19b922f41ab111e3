"""The fuzz targets: one function per decoder of untrusted bytes, each fed any bytes at all.

A target returns normally or raises the project's typed error (LightClientError and its
subclasses: DecodeError, ProofError, SourceError, StoreError, McuError, ...): anything else
escaping is a crash, and so is an answer that breaks the decoder's own contract (the checks
below raise Crash). Hangs and allocations are bounded by the runner (fuzz/run.py).

Every target is deterministic and carries nothing that matters from one input to the next (the
`smp_message` chip is rebuilt from its flash image whenever a command changed its store), so a
crash replays from its input alone: `python -m fuzz.run TARGET --replay FILE`.
"""

import binascii
import hashlib
import json
import os
import sys

from lightclient.chip.core import (cbor, ics23, ics23_types, proto, rpcjson, trusted_at_rest,
                                   update)
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.core.verifier import Options, TrustedState

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(os.path.dirname(ROOT), "shared", "vectors")
# The tests' fixtures: a provisioned chip's scenario, the update fixtures.
for _p in (os.path.join("tests", "firmware"), os.path.join("tests", "chip", "core")):
    if os.path.join(ROOT, _p) not in sys.path:
        sys.path.append(os.path.join(ROOT, _p))


class Crash(Exception):
    """A decoder broke its contract without raising (a wrong answer to malformed input)."""


# --- CBOR -------------------------------------------------------------------------------------

def t_cbor(data):
    # The bounds the update decoder and the SMP payloads use, and the lazy arrays.
    try:
        v = cbor.loads(data, 8, 4096, 65536, 2)
    except LightClientError:
        v = None
    _walk(v, 0)
    try:
        cbor.loads_prefix(data, 0, 4, 256, 4096)
    except LightClientError:
        pass


def _walk(v, depth):
    if depth > 16:
        raise Crash("CBOR value nested deeper than its bound")
    if isinstance(v, cbor.LazyArray):
        for x in v.items():
            _walk(x, depth + 1)
    elif isinstance(v, list):
        for x in v:
            _walk(x, depth + 1)
    elif isinstance(v, dict):
        for k in v:
            _walk(v[k], depth + 1)


# --- protobuf ---------------------------------------------------------------------------------

def t_proto(data):
    _proto_walk(bytes(data), 0)


def _proto_walk(buf, depth):
    try:
        fs = proto.fields(buf)
    except LightClientError:
        return
    for f in fs:
        for x in fs[f]:
            wire, v = x if isinstance(x, tuple) else (None, x)
            if isinstance(v, (bytes, bytearray, memoryview)) and depth < 4:
                _proto_walk(bytes(v), depth + 1)
            elif isinstance(v, int):
                proto.to_int64(v)
                proto.to_int32(v)


# --- Cosmos SDK transactions: what the chip reads before it signs, the account it is proven ---

def t_cosmos_tx(data):
    from lightclient.chip import cosmos_tx
    data = bytes(data)
    try:
        d = cosmos_tx.decode_sign_doc(data)
    except LightClientError:
        d = None
    if d is not None:
        # a doc that decodes re-encodes to the same body, and its writes name a signer or fail typed
        if not d["messages"] or not isinstance(d["chain_id"], str):
            raise Crash("sign doc decoded without messages or chain id")
        for url, value in d["messages"]:
            if url == cosmos_tx.MSG_DEVICE_WRITE:
                try:
                    cosmos_tx.write_signer(value)
                except LightClientError:
                    pass
    try:
        cosmos_tx.decode_account(data)
    except LightClientError:
        pass


# --- ICS23 commitment proofs ------------------------------------------------------------------

_SPECS = (ics23_types.IAVL_SPEC, ics23_types.TENDERMINT_SPEC)


def t_ics23(data):
    try:
        p = ics23_types.decode_commitment_proof(bytes(data))
    except LightClientError:
        return
    try:
        root = ics23.calculate_root(p)
    except LightClientError:
        return
    for spec in _SPECS:
        for fn, args in ((ics23.verify_membership, (b"k", b"v")),
                         (ics23.verify_non_membership, (b"k",))):
            try:
                fn(spec, root, p, *args)
            except LightClientError:
                pass
    _round_trip(ics23_types.encode_commitment_proof, ics23_types.decode_commitment_proof, p,
                "ICS23 proof")


def _round_trip(encode, decode, value, what):
    """A decoded value encodes to bytes that decode to the same value."""
    again = encode(value)
    if encode(decode(again)) != again:
        raise Crash(what + " does not round-trip")


# --- light blocks and commits from JSON (chip/core/rpcjson) ----------------------------------------

def _json(data):
    try:
        return json.loads(bytes(data).decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeError, RecursionError):
        return None  # not JSON: the RPC client's answer check (target "rpc") owns that


def _no_constant(name):
    raise ValueError(name)


def t_rpcjson(data):
    doc = _json(data)
    if not isinstance(doc, dict):
        return
    sh = doc.get("signed_header")
    vals = doc.get("validator_set") or doc.get("next_validator_set")
    for fn, arg in ((rpcjson.signed_header_from_json, sh),
                    (rpcjson.header_from_json, doc.get("header")),
                    (rpcjson.commit_from_json, doc.get("commit")),
                    (rpcjson.validator_set_from_json, vals)):
        try:
            fn(arg)
        except LightClientError:
            pass
    try:
        lb = rpcjson.light_block_from_json(sh, vals, doc.get("next_validator_set"))
    except LightClientError:
        return
    lb.signed_header.header.hash()
    lb.validators.hash()


# --- ABCI query answers: a device record and its proof (lightclient/records.py) ---------------

def t_abci(data):
    """The client's check of an abci_query answer for a device record (height, key, base64
    fields, proof ops, the SDK proof chain to the app hash, the record's JSON), against the
    app hash of the test chain the seeds' proof comes from; and the record parser alone."""
    doc = _json(data)
    if not isinstance(doc, dict):
        return
    resp = doc.get("response", doc)
    if not isinstance(resp, dict):
        return
    from lightclient import records
    from lightclient.chip import txs
    try:
        records.verify_record_answer(resp, "kitchen", 10, _firmware()["app_hash"])
    except LightClientError:
        pass
    try:
        txs.decode_record(binascii.a2b_base64(resp.get("value") or ""))
    except (LightClientError, ValueError, TypeError):
        pass  # ValueError / TypeError: the harness's own base64 step, not the decoder


# --- the compact update (core/update) and the trusted state -----------------------------------

def _fixture():
    from fixtures import upd4
    t = upd4.TRUSTED
    trusted = TrustedState(rpcjson.header_from_json(t["header"]),
                           rpcjson.validator_set_from_json(t["next_validators"]))
    cases = {k: binascii.unhexlify(v[0]) for k, v in upd4.CASES.items()}
    return upd4, trusted, cases


_UPD = {}


def _upd():
    if not _UPD:
        from lightclient.chip.crypto.pure import verify
        fx, trusted, cases = _fixture()
        good = set()

        def record(kt, pub, msg, sig):
            ok = verify(kt, pub, msg, sig)
            if ok:
                good.add(hashlib.sha256(bytes(pub) + bytes(msg) + bytes(sig)).digest())
            return ok
        for data in cases.values():
            try:
                update.apply_update(trusted, data, Options(fx.TRUSTING_PERIOD_NS), fx.NOW_NS,
                                    record)
            except LightClientError:
                pass
        _UPD.update(fx=fx, trusted=trusted, cases=cases, good=good,
                    encoded=trusted_at_rest.encode_trusted(trusted),
                    packed=trusted_at_rest.pack_trusted(trusted))
    return _UPD


def _known_signatures(kt, pub, msg, sig):
    # The fixtures' real signatures are valid, anything else is not: a changed byte in a vote
    # never verifies (what the real verifiers answer), at a dictionary look-up's cost.
    return hashlib.sha256(bytes(pub) + bytes(msg) + bytes(sig)).digest() in _upd()["good"]


def t_update(data):
    u = _upd()
    fx = u["fx"]
    data = bytes(data)
    try:
        update.apply_update_full(u["trusted"], data, Options(fx.TRUSTING_PERIOD_NS), fx.NOW_NS,
                                 _known_signatures)
    except LightClientError:
        pass
    try:
        st = trusted_at_rest.unpack_trusted(data)  # the packed form, as the chip's store holds it
        _round_trip(trusted_at_rest.pack_trusted, trusted_at_rest.unpack_trusted, st,
                    "packed trusted state")
    except LightClientError:
        pass
    try:
        st = trusted_at_rest.decode_trusted(data)
    except LightClientError:
        return
    _round_trip(trusted_at_rest.encode_trusted, trusted_at_rest.decode_trusted, st,
                "trusted state")


# --- SMP: frames, messages (the chip's side), answers (the Pi's side) -------------------------

def t_smp_frame(data):
    from lightclient.chip.smp import frame
    data = bytes(data)
    # Reads of 1, 2, 3, 5, 8, 13, 21, 34 ... bytes (the first byte picks), a UART's or a pty's.
    cut = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 8192)[data[0] % 16] \
        if data else 1
    d = frame.FrameDecoder(4096, 50)
    t = 0
    for i in range(0, len(data), cut):
        t += 10
        for msg in d.feed(data[i:i + cut], t):
            if not (10 <= len(msg) + 2 <= 4096 + 2):
                raise Crash("frame decoder returned a message out of bounds")
    if len(d.line) > frame.RX_LINE_MAX:
        raise Crash("frame decoder kept a line over its bound")
    try:
        frame.decode_packet(data.split(b"\n"), 4096)
    except LightClientError:
        pass


_FW = {}


def _firmware():
    # A provisioned chip (key, checkpoint at 1, the device record at 2) on a RAM flash; each input
    # runs on a copy of its flash so nothing carries over.
    if not _FW:
        import fwscenario
        from lightclient.chip.app import boot
        from lightclient.chip.crypto import ed25519
        from lightclient.chip.store.filedev import RamBlockDevice
        rng = _det_rng()
        fw = boot.build(RamBlockDevice(4096, 16), b"\x07" * 32, {"board": "fuzz"}, rng)
        pub = fw.device.generate_key(False)
        sc = fwscenario.Scenario(pub, owner_pub=ed25519.public_key(b"\x31" * 32))
        fw.device.set_checkpoint(sc.checkpoint(1), None, sc.uuid, False)
        fw.device.submit_update(sc.update(1, 2), sc.now(2))
        _FW.update(image=bytes(fw.device.store._dev.data), scenario=sc,
                   app_hash=sc.stores.root)
    return _FW


def _live_firmware():
    fw = _FW.get("live")
    if fw is None:
        from lightclient.chip.app import boot
        from lightclient.chip.store.filedev import RamBlockDevice
        dev = RamBlockDevice(4096, 16, _firmware()["image"])
        fw = _FW["live"] = boot.build(dev, b"\x07" * 32, {"board": "fuzz"}, _det_rng())
        _FW["generation"] = fw.device.store.generation
    return fw


def _det_rng():
    state = [b"fuzz"]

    def rng(n):
        out = b""
        while len(out) < n:
            state[0] = hashlib.sha256(state[0]).digest()
            out += state[0]
        return out[:n]
    return rng


def t_smp_message(data):
    """The chip's command path: any message bytes -> exactly one well-formed answer with the
    request's sequence number, or none for what is not a request; never an exception."""
    from lightclient.chip.smp import header as H
    fw = _live_firmware()
    data = bytes(data)
    try:
        H.decode_message(data, 16384)
    except LightClientError:
        pass
    rsp = fw.handle(data, 0)
    if fw.device.store.generation != _FW["generation"] or fw.reset_pending:
        _FW.pop("live")  # a command changed the chip: the next input starts from the image
    if rsp is None:
        if len(data) >= 8 and data[0] & 7 in (H.OP_READ, H.OP_WRITE):
            raise Crash("a request got no answer")
        return
    rh, p = H.decode_message(rsp)   # our own answer: any DecodeError here is a crash too
    req = H.unpack_header(data)
    if rh.seq != req.seq or rh.group != req.group or rh.command != req.command:
        raise Crash("answer does not belong to the request")
    if rh.op != req.op + 1 or not isinstance(p, dict):
        raise Crash("answer has the wrong op or payload")
    if p.get("rc") in (H.MGMT_EUNKNOWN, H.MGMT_ENOMEM):
        # Firmware.handle turns a handler's untyped exception into this answer (the link must
        # survive a bug); for the fuzzer it is the bug.
        raise Crash("a handler failed: " + str(p.get("rsn")))


class _Line:
    """A serial port that replays the fuzz bytes as what the chip sent, then ends the test."""

    def __init__(self, data, cut):
        self.data = data
        self.cut = cut
        self.pos = 0
        self.in_waiting = 0

    def write(self, b):
        return len(b)

    def read(self, n):
        if self.pos >= len(self.data):
            raise _LineDone()
        out = self.data[self.pos:self.pos + self.cut]
        self.pos += self.cut
        return out


class _LineDone(Exception):
    pass


def t_smp_answer(data):
    """The Pi's side: whatever the chip sends back is an answer, a typed McuError or nothing."""
    from lightclient import mcu
    from lightclient.chip.smp import frame, lc
    from lightclient.chip.smp import header as H
    sel, body = _selector(data)
    # The first byte picks the call; with bit 7 clear the rest is framed as that call's answer
    # (sequence 1, its op, group and id; SMP version from bit 5), so the fuzzer works on the
    # payloads; with bit 7 set it is the raw line.
    calls = (("status", (), H.OP_READ, lc.GROUP, lc.STATUS),
             ("echo", ("x",), H.OP_WRITE, H.GROUP_OS, H.OS_ECHO),
             ("settings", (5,), H.OP_READ, lc.GROUP, lc.SETTINGS),
             ("public_key", (), H.OP_READ, lc.GROUP, lc.PUBLIC_KEY),
             ("submit_update", (b"u", 7), H.OP_WRITE, lc.GROUP, lc.SUBMIT_UPDATE),
             ("info", (), H.OP_READ, H.GROUP_OS, H.OS_INFO),
             ("sign", (b"m",), H.OP_WRITE, lc.GROUP, lc.SIGN))
    name, args, op, group, command = calls[sel % len(calls)]
    if sel & 0x80:
        wire = body
    else:
        hdr = H.Header(op + 1, group, command, 1, len(body), sel >> 5 & 1).pack()
        wire = frame.encode_packet(hdr + body)
    c = mcu.McuClient(_Line(wire, 1 + sel % 61), timeout=3600)
    try:
        getattr(c, name)(*args)
    except (LightClientError, _LineDone):
        pass


def _selector(data):
    """The first byte picks a variant of the target, the rest is the input."""
    data = bytes(data)
    return (data[0], data[1:]) if data else (0, b"")


# --- JSON-RPC answers (lightclient/rpc.py) ----------------------------------------------------

def t_rpc(data):
    from lightclient import rpc
    sel, answer = _selector(data)

    class Replay(rpc.RpcClient):
        def _request(self, method, path, body=None, timeout=None):
            return answer

    c = Replay("http://127.0.0.1:1")
    calls = ((c.status, ()), (c.signed_header, (10,)), (c.validators, (10,)),
             (c.light_block, (10,)), (c.abci_query, ("/store/devices/key", b"k", 10)),
             (c.net_info, ()), (c.broadcast_tx_sync, (b"tx",)), (c.broadcast_evidence, ({},)))
    fn, args = calls[sel % len(calls)]
    try:
        fn(*args)
    except LightClientError:
        pass


# --- the secure store's records on flash ------------------------------------------------------

STORE_SECRET = bytes(range(32))
STORE_GEOMETRY = (256, 8)


def t_store(data):
    """A flash image (any bytes, padded or cut to the partition): mount, list, read, check."""
    from lightclient.chip.store import store as S
    from lightclient.chip.store.filedev import RamBlockDevice
    bs, bc = STORE_GEOMETRY
    mode, img = _selector(data)
    img = (img + b"\xff" * (bs * bc))[:bs * bc]
    if mode & 1:
        img = _reseal_headers(img)  # get past the header MACs to the stream parser
    st = S.RecordStore(RamBlockDevice(bs, bc, img), STORE_SECRET, max_value=512, max_records=8)
    try:
        st.mount()
    except LightClientError:
        return
    for n in st.names():
        try:
            v = st.get(n)
        except LightClientError:
            continue
        if len(v) > st.max_value:
            raise Crash("record over max_value")
    st.check()


def _reseal_headers(img):
    # An attacker with the MAC key (or a bug in a writer): the header of every sector that starts
    # with the magic gets a valid MAC, so the fuzzer reaches the snapshot and record parsing.
    from lightclient.chip.crypto.hmac_sha256 import hmac_sha256, pads
    from lightclient.chip.store import flash_format as F
    enc, mac = F.derive_keys(STORE_SECRET)
    key = pads(mac)
    bs = STORE_GEOMETRY[0]
    out = bytearray(img)
    for off in range(0, len(out), bs):
        if out[off:off + 4] == F.MAGIC:
            out[off + 32:off + 48] = hmac_sha256(key, F.D_HDR + bytes(out[off:off + 32]))[:16]
    return bytes(out)


def t_envelope(data):
    """A sealed envelope (docs/envelopes.md) as a node could serve it: opened by the recorded
    vectors' device and epoch keys; only a typed error or the recorded plaintext may come out."""
    import lightclient.native  # noqa: F401 (the Pi's backend: the same verdicts, 20x the inputs)
    from lightclient.chip.keys import envelope, epochs
    v = _key_vectors()
    owner = ("secp256k1", bytes.fromhex(v["owner_secp256k1_public"]))
    secret = bytes.fromhex(v["epoch0_secret"])
    got = envelope.open_(data, v["chain_id"], v["record_key"].encode(), 0, [owner],
                         epochs.epoch_identity(secret))
    if got.plaintext.decode() != v["record_plaintext"]:
        raise Crash("an envelope opened to other plaintext")


def t_release_record(data):
    """An x/releases record as a node could serve it (docs/ota.md), under the key its would-be
    hash names: a typed error, or a record within the chip's bounds."""
    from lightclient.chip.app import release_image as R
    r = R.decode_record(R.RECORD_PREFIX + bytes(data[2:34]), data)
    if len(r["h"]) != 32 or not 0 <= r["sv"] <= R.MAX_SECURITY_VERSION or \
            not 0 < len(r["v"]) <= R.MAX_VERSION or not 0 < len(r["board"]) <= R.MAX_BOARD or \
            r["p"] <= 0:
        raise Crash("a release record outside the chip's bounds was accepted")


def t_release_head(data):
    """The head of an upload into a real chip's slot (docs/ota.md), checked before a block is
    written: a typed error, or a signed head whose payload fits what was announced."""
    from lightclient.chip.app import release_image as R
    from lightclient.chip.crypto import ed25519
    import hashlib
    key = ed25519.public_key(hashlib.sha256(b"test release key").digest())
    m, start = R.check_head(data, len(data) + 64, key, R.KIND_APP)
    if start > len(data) or m["n"] != len(data) + 64 - start or m["k"] != R.KIND_APP:
        raise Crash("a release head outside its bounds was accepted")


_KEY_VECTORS = []


def _key_vectors():
    if not _KEY_VECTORS:
        with open(os.path.join(ROOT, "tests", "chip", "keys", "vectors.json")) as f:
            _KEY_VECTORS.append(json.load(f))
    return _KEY_VECTORS[0]


TARGETS = {
    "cbor": t_cbor,
    "proto": t_proto,
    "ics23": t_ics23,
    "rpcjson": t_rpcjson,
    "abci": t_abci,
    "update": t_update,
    "smp_frame": t_smp_frame,
    "smp_message": t_smp_message,
    "smp_answer": t_smp_answer,
    "rpc": t_rpc,
    "store": t_store,
    "cosmos_tx": t_cosmos_tx,
    "envelope": t_envelope,
    "release_record": t_release_record,
    "release_head": t_release_head,
}

# Largest input per target (libFuzzer -max_len): a few times the largest seed. (The bounds past
# these, like the update's 32 KiB, have their own unit tests.)
MAX_LEN = {"cbor": 4096, "proto": 4096, "ics23": 4096, "rpcjson": 16384, "abci": 16384,
           "update": 4096, "smp_frame": 2048, "smp_message": 4096, "smp_answer": 4096,
           "rpc": 32768, "store": 2049, "cosmos_tx": 4096, "envelope": 2048,
           "release_record": 512, "release_head": 1024}
