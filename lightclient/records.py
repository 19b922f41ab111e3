# Device records, proven. abci_query at height H (prove=true) answers with the state after block
# H, whose root is the app_hash of header H+1 (Cosmos SDK convention): so header H+1 is verified
# first, then the ICS23 proof chain (IAVL store -> multistore) is checked against its app_hash.
# A missing record is only "absent" with a verified non-existence proof; an answer without a
# proof, or with one that does not check, is invalid data (the source is banned by the caller).
# Where the record lives and how it reads is the chain kind's layout (record_layouts.py).

from lightclient.chip import txs
from lightclient.chip.core import proof_chain
from lightclient.chip.core.errors import DecodeError, ProofError, Unavailable
from lightclient.record_layouts import COSMOS_SDK, SCENARIONET, layout as layout_of
from lightclient.rpc import b64_field, int_field

MAX_OPS = 4
# The Cosmos SDK answers "cannot query with proof when height <= 1": the first state a header can
# be checked against is the one after block 2, committed by header 3.
SDK_FIRST_PROVABLE_STATE = 2


class QueryRefused(Unavailable):
    """The node answered the query with a non-zero code: it cannot or will not prove this."""


class NoVerifiedData(Unavailable):
    """Nothing verified is available for this request (no source reached, nothing cached)."""


class ProvenRecord:
    """A device record proven against a verified header. record: the decoded record (dict) or
    None when proven absent; height: state height H; header_hash, header_time_ns: of header H+1
    (the one whose app_hash the proof checks against); stale: served from the cache because no
    source answered; age_s: now - header time (seconds); agreed: a witness confirmed that
    header (False: none answered in time; None: not known, e.g. from the cache)."""

    def __init__(self, uuid, record, height, header_hash, header_time_ns, stale=False,
                 age_s=0.0, value=None, proof_ops=None, agreed=None, layout=SCENARIONET, sealed=None):
        self.uuid = uuid
        self.record = record
        self.height = height
        self.header_hash = header_hash
        self.header_time_ns = header_time_ns
        self.stale = stale
        self.age_s = age_s
        self.value = value            # the raw record bytes (None if absent)
        self.proof_ops = proof_ops    # [(type, key, data)] as verified (for the LAN server)
        self.agreed = agreed
        self.layout = layout          # the chain kind whose layout the record is in
        self.sealed = None
        if sealed is not None:
            self.set_sealed(sealed)

    def set_sealed(self, info):
        """The device's settings opened from their sealed envelope (sealed_settings.read): the
        record's "setting" is their plaintext, "sealed" says where it came from."""
        self.sealed = info
        if self.record is not None:
            self.record["setting"] = info.get("setting") or {}
            self.record["sealed"] = {k: v for k, v in info.items()
                                     if k not in ("setting", "records")}
            # the owner's sealed location and skills of the device, opened on the chip too
            for name, got in (info.get("records") or {}).items():
                if name in ("location", "skills"):
                    self.record[name] = got.get("value")

    @property
    def key(self):
        """The store key the record is proven under."""
        return layout_of(self.layout).key(self.uuid)

    def to_dict(self):
        return {"uuid": self.uuid, "record": self.record, "height": self.height,
                "header_hash": self.header_hash.hex().upper(),
                "header_time_ns": self.header_time_ns, "stale": self.stale,
                "age_s": round(self.age_s, 3), "agreed": self.agreed}

    def to_cache(self):
        ops = None
        if self.proof_ops is not None:
            ops = [[t, k.hex(), d.hex()] for t, k, d in self.proof_ops]
        return {"value": None if self.value is None else self.value.hex(), "height": self.height,
                "header_hash": self.header_hash.hex(), "header_time_ns": self.header_time_ns,
                "proof_ops": ops, "layout": self.layout, "sealed": self.sealed}

    @classmethod
    def from_cache(cls, uuid, e, now_ns):
        kind = e.get("layout", SCENARIONET)
        value = None if e.get("value") is None else bytes.fromhex(e["value"])
        ops = None
        if e.get("proof_ops"):
            ops = [(t, bytes.fromhex(k), bytes.fromhex(d)) for t, k, d in e["proof_ops"]]
        rec = None if value is None else layout_of(kind).decode(value, uuid)
        return cls(uuid, rec, e["height"], bytes.fromhex(e["header_hash"]), e["header_time_ns"],
                   stale=True, age_s=max(0.0, (now_ns - e["header_time_ns"]) / 1e9),
                   value=value, proof_ops=ops, layout=kind, sealed=e.get("sealed"))


def parse_proof_ops(resp):
    """proofOps.ops of an abci_query response -> [(type, key bytes, data bytes)]."""
    po = resp.get("proofOps")
    if po is None:
        po = resp.get("proof_ops")
    if not isinstance(po, dict) or not isinstance(po.get("ops"), list):
        raise ProofError("proof_missing", "the answer carries no proof")
    ops = po["ops"]
    if not 0 < len(ops) <= MAX_OPS:
        raise ProofError("proof_ops_count", "wrong number of proof ops", ops=len(ops))
    out = []
    for i, op in enumerate(ops):
        if not isinstance(op, dict) or not isinstance(op.get("type"), str):
            raise DecodeError("proof_op_shape", "proof op must be an object with a type", index=i)
        key = b64_field(op.get("key"), "proofOps.ops[%d].key" % i) or b""
        data = b64_field(op.get("data"), "proofOps.ops[%d].data" % i) or b""
        out.append((op["type"][:32], key, data))
    return out


def check_answer_head(resp, height):
    """An abci_query answer's code (0) and height (the one asked), read strictly. Raises
    DecodeError / ProofError (the source lied or is broken)."""
    code = int_field(resp.get("code", 0), 0, 0xFFFFFFFF)     # uint32
    h = int_field(resp.get("height", -1))
    if code is None or h is None:
        raise DecodeError("abci_shape", "code/height are not integers in range")
    if code != 0:
        # A refusal, not a lie: an honest node answers one for a height it cannot prove (pruned,
        # or the SDK's first states); the next source is asked, nobody is banned for it.
        raise QueryRefused("abci_code", "query failed on the node", code=code,
                           log=str(resp.get("log", ""))[:120])
    if h != height:
        raise ProofError("abci_height", "answer is for another height", requested=height, got=h)


def verify_record_answer(resp, uuid, height, app_hash, kind=SCENARIONET):
    """Checks one abci_query answer for the record of `uuid` at state height `height` against
    `app_hash` (of verified header height+1), in the layout of chain kind `kind`. Returns
    (record dict or None, value bytes or None, ops). Raises ProofError / DecodeError (the source
    lied or is broken)."""
    lay = layout_of(kind)
    value, ops = verify_value_answer(resp, lay.key(uuid), height, app_hash,
                                     txs.MAX_RECORD_BYTES)
    record = None if value is None else lay.decode(value, uuid)
    return record, value, ops


def verify_value_answer(resp, key, height, app_hash, max_len):
    """One abci_query answer for `key` of the devices store at state height `height`, checked
    against `app_hash` (of verified header height+1). -> (value or None when proven absent, ops).
    Raises ProofError / DecodeError (the source lied or is broken)."""
    check_answer_head(resp, height)
    rkey = b64_field(resp.get("key"), "key")
    if rkey is not None and rkey != key:
        raise ProofError("abci_key", "answer is for another key")
    value = b64_field(resp.get("value"), "value")
    if value is not None and len(value) > max_len:
        raise DecodeError("record_too_large", "record larger than the limit", length=len(value),
                          limit=max_len)
    ops = parse_proof_ops(resp)
    proof_chain.verify_abci_proof_ops(ops, app_hash, [txs.STORE, key], value)
    return value, ops


def fetch_value(pool, key, header_raw, max_len, until=None):
    """The value at `key` of the devices store in the state verified light block `header_raw`
    (height H+1) commits, asked at H and proven; None when proven absent. A source whose proof
    fails is banned by the pool."""
    header = header_raw.light_block.signed_header.header
    h = header.height - 1

    def ask(rpc):
        return verify_value_answer(rpc.abci_query(txs.QUERY_PATH, key, h, True), key, h,
                                   header.app_hash, max_len)[0]

    return pool.race(ask, until=until)[0]


def fetch_record(pool, uuid, header_raw, now_ns, exclude=(), until=None, kind=SCENARIONET):
    """The record of `uuid` proven against verified light block `header_raw` (height H+1): asks
    the pool for abci_query at H; a source whose proof fails is banned by the pool (a
    InvalidData error in the request). kind: the chain's (record_layouts.KINDS). Returns
    (ProvenRecord, source)."""
    header = header_raw.light_block.signed_header.header
    h = header.height - 1
    first = SDK_FIRST_PROVABLE_STATE if kind == COSMOS_SDK else 1
    if h < first:
        raise NoVerifiedData("no_state_height", "need a verified header above height %d"
                             % first, header_height=header.height)
    key = layout_of(kind).key(uuid)

    def ask(rpc):
        resp = rpc.abci_query(txs.QUERY_PATH, key, h, True)
        return verify_record_answer(resp, uuid, h, header.app_hash, kind)

    (record, value, ops), src = pool.race(ask, exclude=exclude, until=until)
    return ProvenRecord(uuid, record, h, header.hash(), header.time_ns, stale=False,
                        age_s=max(0.0, (now_ns - header.time_ns) / 1e9), value=value,
                        proof_ops=ops, layout=kind), src

