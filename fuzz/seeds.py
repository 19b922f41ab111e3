"""Seed corpus per target: the real recorded data (../shared/vectors: CometBFT's light-client and
RPC recordings, the ICS23 vectors, RFC 8949's CBOR examples), the committed update fixtures, and
SMP traffic recorded from a session with the chip's firmware (provisioning, an update, settings,
errors), as the bytes crossed the line."""

import binascii
import glob
import json
import os

from fuzz import targets as T


def _vec(*parts):
    return os.path.join(T.VECTORS, *parts)


def _load(path):
    with open(path) as f:
        return json.load(f)


def _dump(doc):
    return json.dumps(doc, separators=(",", ":")).encode()


def cbor_seeds():
    out = [binascii.unhexlify(c["hex"]) for c in _load(_vec("cbor", "appendix_a.json"))]
    out += update_seeds()[:4]
    out += [m[8:] for m in smp_traffic()["requests"] + smp_traffic()["answers"] if len(m) > 8]
    return out


def _ics23_proofs():
    out = []
    for path in sorted(glob.glob(_vec("ics23", "*", "*.json"))):
        doc = _load(path)
        if isinstance(doc, dict) and isinstance(doc.get("proof"), str):
            out.append(binascii.unhexlify(doc["proof"]))
    return out


def ics23_seeds():
    return _ics23_proofs()


def proto_seeds():
    from fuzz.targets import _upd
    from lightclient.chip.core import types
    out = _ics23_proofs()[:6]
    h = _upd()["trusted"].header
    out.append(h.encode() if hasattr(h, "encode") else b"")
    out.append(types.timestamp_bytes(h.time_ns))
    return [x for x in out if x]


def _light_client_docs():
    docs = []
    for path in sorted(glob.glob(_vec("cometbft", "light-client", "*", "*.json"))):
        doc = _load(path)
        init = doc.get("initial") or {}
        docs.append({"signed_header": init.get("signed_header"),
                     "next_validator_set": init.get("next_validator_set"),
                     "validator_set": init.get("next_validator_set")})
        for step in (doc.get("input") or [])[:2]:
            b = step.get("block") or {}
            docs.append({"signed_header": b.get("signed_header"),
                         "validator_set": b.get("validator_set"),
                         "next_validator_set": b.get("next_validator_set")})
    return docs


def rpcjson_seeds():
    docs = _light_client_docs()[:24]
    commit = _load(_vec("cometbft", "rpc", "kvstore-v0.38", "commit_at_height_10.json"))
    docs.append(commit["result"])
    return [_dump(d) for d in docs]


def abci_seeds():
    out = []
    for name in ("abci_query_with_existing_key.json", "abci_query_with_non_existent_key.json"):
        out.append(_dump(_load(_vec("cometbft", "rpc", "kvstore-v0.38", name))["result"]))
    from lightclient.scenarionet import ics23_build
    sc = _scenario()
    ops = ics23_build.abci_proof_ops(sc.devices, sc.stores, "devices", sc.key)
    b64 = lambda b: binascii.b2a_base64(b, newline=False).decode()  # noqa: E731
    out.append(_dump({"response": {"code": 0, "height": "10", "key": b64(sc.key),
                                   "value": b64(sc.record),
                                   "proofOps": {"ops": [{"type": t, "key": b64(k),
                                                         "data": b64(d)} for t, k, d in ops]}}}))
    return out


def update_seeds():
    u = T._upd()
    return list(u["cases"].values()) + [u["encoded"], u["packed"]]


def rpc_seeds():
    out = []
    files = sorted(glob.glob(_vec("cometbft", "rpc", "kvstore-v0.38", "*.json")))
    for i, path in enumerate(files):
        with open(path, "rb") as f:
            body = f.read()
        for sel in range(8):  # every call of the client on every recorded answer
            if (sel + i) % 3 == 0 or sel in (0, 4):
                out.append(bytes([sel]) + body)
    return out


def smp_frame_seeds():
    from lightclient.chip.smp import frame
    tr = smp_traffic()
    out = [tr["wire"][:1024]]
    for m in (tr["requests"] + tr["answers"])[:12]:
        out.append(bytes([3]) + frame.encode_packet(m))
    return out


def smp_message_seeds():
    return smp_traffic()["requests"]


def smp_answer_seeds():
    # sel byte: which call (status, echo, settings, public_key, submit_update, info, sign), the
    # answer's version (bit 5); with bit 7 the bytes are the raw line.
    from lightclient.chip.smp import frame
    tr = smp_traffic()
    out = []
    for m in tr["answers"]:
        for sel in range(7):
            out.append(bytes([sel | 0x20]) + m[8:])
    out.append(bytes([0x80]) + b"boot log\n" + frame.encode_packet(tr["answers"][0]))
    return out[:40]


def store_seeds():
    from lightclient.chip.store import store as S
    from lightclient.chip.store.filedev import RamBlockDevice
    bs, bc = T.STORE_GEOMETRY
    dev = RamBlockDevice(bs, bc)
    st = S.RecordStore(dev, T.STORE_SECRET, max_value=512, max_records=8, rng=T._det_rng())
    st.format()
    images = [bytes(dev.data)]
    st.commit({"key": b"\x01" * 32, "config": b"\xa2btp\x00duuid`"})
    images.append(bytes(dev.data))
    st.commit({"record": b"r" * 300, "key": None})
    images.append(bytes(dev.data))
    return [bytes([m]) + img for img in images for m in (0, 1)]


_SC = {}


def _scenario():
    if not _SC:
        T._firmware()
        _SC["sc"] = T._FW["scenario"]
    return _SC["sc"]


_TRAFFIC = {}


def smp_traffic():
    """A session with the chip's firmware, recorded: the request and answer messages and the
    bytes on the line (framed), from a fresh chip to settings after an update."""
    if _TRAFFIC:
        return _TRAFFIC
    from lightclient.chip.app import boot
    from lightclient.chip.store.filedev import RamBlockDevice
    from lightclient.chip.smp import frame, lc
    from lightclient.chip.smp import header as H
    sc = _scenario()
    fw = boot.build(RamBlockDevice(4096, 16), b"\x07" * 32, {"board": "fuzz"}, T._det_rng())
    reqs = [(H.OP_WRITE, 0, H.OS_ECHO, {"d": "hello"}), (H.OP_READ, 0, H.OS_MCUMGR_PARAMS, {}),
            (H.OP_READ, 0, H.OS_INFO, {"format": "a"}),
            (H.OP_READ, lc.GROUP, lc.STATUS, {}), (H.OP_READ, lc.GROUP, lc.PUBLIC_KEY, {}),
            (H.OP_WRITE, lc.GROUP, lc.GENERATE_KEY, {"force": False})]
    answers, requests, wire = [], [], bytearray()
    seq = 0

    def ask(op, group, cmd, payload, version=H.V2):
        nonlocal seq
        seq = (seq + 1) & 0xFF
        msg = H.encode_message(H.Header(op, group, cmd, seq, 0, version), payload)
        requests.append(msg)
        wire.extend(frame.encode_packet(msg))
        rsp = fw.handle(msg, 0)
        answers.append(rsp)
        wire.extend(frame.encode_packet(rsp))
        return H.decode_message(rsp)[1]

    for r in reqs:
        ask(*r)
    # provisioning needs this chip's own key in the record: a scenario for the new key
    from lightclient.chip.crypto import ed25519
    import fwscenario
    pub = fw.device.pub
    sc = fwscenario.Scenario(pub, owner_pub=ed25519.public_key(b"\x31" * 32))
    ask(H.OP_WRITE, lc.GROUP, lc.SET_CHECKPOINT, {"state": sc.checkpoint(1), "uuid": sc.uuid})
    ask(H.OP_WRITE, lc.GROUP, lc.SUBMIT_UPDATE, {"update": sc.update(1, 2), "now_ns": sc.now(2)},
        H.V1)
    ask(H.OP_READ, lc.GROUP, lc.SETTINGS, {"now_ns": sc.now(2)})
    ask(H.OP_WRITE, lc.GROUP, lc.SIGN, {"msg": b"hi", "kind": "request"})
    ask(H.OP_WRITE, lc.GROUP, lc.SIGN, {"msg": b"hi", "kind": "nope"})
    ask(H.OP_READ, lc.GROUP, lc.STORE_CHECK, {})
    ask(H.OP_READ, 64, 1, {"off": 0, "data": b"x"})
    ask(H.OP_READ, lc.GROUP, lc.STATUS, {}, H.V1)
    _TRAFFIC.update(requests=requests, answers=answers, wire=bytes(wire))
    return _TRAFFIC


def cosmos_tx_seeds():
    """The SignDocs cosmjs built (docs/vectors/cosmos-tx.json) and a stored BaseAccount."""
    path = os.path.join(T.ROOT, "docs", "vectors", "cosmos-tx.json")
    out = [binascii.unhexlify(c["sign_doc"]) for c in _load(path)["cases"]]
    from lightclient.chip.core import proto
    acct = (proto.bytes_field(1, "mycroft1l3e9pgs3mmwuwrh95fecme0s0qtn2880m7slw9")
            + proto.varint_field(3, 12) + proto.varint_field(4, 3))
    out.append(proto.bytes_field(1, "/cosmos.auth.v1beta1.BaseAccount") + proto.bytes_field(2, acct))
    return out


def envelope_seeds():
    v = T._key_vectors()
    return [bytes.fromhex(v["record_envelope"]), bytes.fromhex(v["epoch0_envelope"])]


def release_record_seeds():
    """The spec vector's record (docs/ota.md) and one with every number at its bound."""
    from lightclient.chip.app import release_image as R
    img = b"MLCI" + bytes(60)
    return [R.record_for(img, 1, "0.2.0", "esp32-devkitc", 7)[1],
            R.record_for(img, R.MAX_SECURITY_VERSION, "v" * R.MAX_VERSION, "b" * R.MAX_BOARD,
                         (1 << 64) - 1)[1]]


def release_head_seeds():
    """Heads of the release images a real chip takes (ESP-IDF app payload, signed by the
    targets' test key, announced 64 bytes longer than the head) and of a ROMFS one."""
    import hashlib
    from lightclient.chip.app import release_image as R
    from lightclient.chip.crypto import ed25519
    seed = hashlib.sha256(b"test release key").digest()
    out = []
    for kind in (R.KIND_APP, R.KIND_ROMFS):
        img = R.build_image(b"\xe9" * 64, "0.2.0", 1, lambda m: ed25519.sign(seed, m), kind)
        out.append(img[:-64])
    return out


SEEDS = {
    "cbor": cbor_seeds, "proto": proto_seeds, "ics23": ics23_seeds, "rpcjson": rpcjson_seeds,
    "abci": abci_seeds, "update": update_seeds, "smp_frame": smp_frame_seeds,
    "smp_message": smp_message_seeds, "smp_answer": smp_answer_seeds, "rpc": rpc_seeds,
    "cosmos_tx": cosmos_tx_seeds,
    "store": store_seeds, "envelope": envelope_seeds, "release_record": release_record_seeds,
    "release_head": release_head_seeds,
}
