"""Governance on the chain (the SDK's x/gov v1 and x/authz), as the device sees it: proposals,
votes and final tallies read from VERIFIED state (ICS23 proofs of x/gov store keys against the
app_hash of headers our light client verified), and the messages of a vote: MsgVote, authz
MsgExec wrapping it, and the owner's MsgGrant (GenericAuthorization for MsgVote) that lets the
device vote for them. Store keys and values: docs/gov.md. Transactions are built by
lightclient.chip.cosmos_tx and signed by the chip (its sign policy reads them first).

A vote weighs the voter's bonded stake: an owner with none votes with weight zero."""

from lightclient.chip import cosmos_tx as ct
from lightclient.chip import sign_policy
from lightclient.chip.core import proof_chain, proto
from lightclient.chip.core.errors import DecodeError, ProofError
from lightclient.records import check_answer_head, parse_proof_ops
from lightclient.rpc import b64_field

STORE = "gov"
PROPOSAL_PREFIX = b"\x00"      # ProposalsKeyPrefix || uint64be id
PROPOSAL_ID_KEY = b"\x03"      # ProposalIDKey: the next proposal id (uint64be)
VOTE_PREFIX = b"\x20"          # VotesKeyPrefix || uint64be id || len(addr) || addr
MAX_PROPOSAL = 16 * 1024
MAX_VOTE = 1024
MAX_LIST = 50

MSG_VOTE = sign_policy.MSG_VOTE
MSG_EXEC = sign_policy.MSG_EXEC
MSG_GRANT = "/cosmos.authz.v1beta1.MsgGrant"
MSG_SUBMIT_PROPOSAL = "/cosmos.gov.v1.MsgSubmitProposal"
GENERIC_AUTHORIZATION = "/cosmos.authz.v1beta1.GenericAuthorization"
OPTIONS = {"yes": 1, "abstain": 2, "no": 3, "no_with_veto": 4}
OPTION_NAMES = {v: k.upper() for k, v in OPTIONS.items()}
STATUS = {0: "UNSPECIFIED", 1: "DEPOSIT_PERIOD", 2: "VOTING_PERIOD", 3: "PASSED",
          4: "REJECTED", 5: "FAILED"}
WEIGHT_NOTE = ("a vote weighs the voter's bonded stake (delegations): an account with none "
               "votes with weight zero")


# --- messages -------------------------------------------------------------------------------

def msg_vote(proposal_id, voter, option, metadata=""):
    """cosmos.gov.v1.MsgVote; option: a name of OPTIONS or its number."""
    n = OPTIONS.get(option, option) if isinstance(option, str) else option
    if n not in OPTION_NAMES or proposal_id <= 0:
        raise DecodeError("gov_vote_option", "not a proposal id and vote option", option=option)
    return MSG_VOTE, (proto.varint_field(1, proposal_id) + proto.bytes_field(2, voter)
                      + proto.varint_field(3, n) + proto.bytes_field(4, metadata))


def msg_exec(grantee, messages):
    """cosmos.authz.v1beta1.MsgExec: grantee runs `messages` [(type_url, value)] for granters."""
    return MSG_EXEC, (proto.bytes_field(1, grantee)
                      + b"".join(proto.message_field(2, ct.any_(u, v)) for u, v in messages))


def msg_grant_vote(granter, grantee, expiration_s=None):
    """The owner's MsgGrant: GenericAuthorization for MsgVote, expiring at unix time
    expiration_s (or never)."""
    auth = ct.any_(GENERIC_AUTHORIZATION, proto.bytes_field(1, MSG_VOTE))
    grant = proto.message_field(1, auth)
    if expiration_s is not None:
        grant += proto.message_field(2, proto.varint_field(1, int(expiration_s)))
    return MSG_GRANT, (proto.bytes_field(1, granter) + proto.bytes_field(2, grantee)
                       + proto.message_field(3, grant, nullable=False))


def msg_submit_proposal(proposer, deposit, title, summary, metadata="", messages=()):
    """cosmos.gov.v1.MsgSubmitProposal; a proposal without messages is a text proposal (it
    needs metadata: x/gov refuses one with neither)."""
    return MSG_SUBMIT_PROPOSAL, (
        b"".join(proto.message_field(1, ct.any_(u, v)) for u, v in messages)
        + b"".join(proto.message_field(2, c) for c in ct.coins(deposit))
        + proto.bytes_field(3, proposer) + proto.bytes_field(4, metadata)
        + proto.bytes_field(5, title) + proto.bytes_field(6, summary))


# --- store keys and values --------------------------------------------------------------------

def _id(proposal_id):
    if not 0 < proposal_id < 1 << 64:
        raise DecodeError("gov_proposal_id", "proposal id out of range", id=proposal_id)
    return proposal_id.to_bytes(8, "big")


def proposal_key(proposal_id):
    return PROPOSAL_PREFIX + _id(proposal_id)


def vote_key(proposal_id, voter20):
    if len(voter20) != 20:
        raise DecodeError("gov_voter", "want a 20-byte account address")
    return VOTE_PREFIX + _id(proposal_id) + bytes([20]) + bytes(voter20)


_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def address_bytes(addr, prefix=ct.ADDRESS_PREFIX):
    """A bech32 account address -> its 20 bytes; the checksum is checked by encoding the
    bytes again with lightclient.chip.bech32 (the encoder the chip uses)."""
    s = str(addr).lower()
    hrp, sep, data = s.rpartition("1")
    if hrp != prefix or not sep or len(data) != 38 or any(c not in _CHARSET for c in data):
        raise DecodeError("gov_address", "not an account address", address=str(addr)[:90])
    acc, bits, out = 0, 0, bytearray()
    for c in data[:-6]:
        acc, bits = (acc << 5) | _CHARSET.index(c), bits + 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if len(out) != 20 or ct.bech32_address_of(bytes(out), prefix) != s:
        raise DecodeError("gov_address", "bech32 checksum does not match", address=s[:90])
    return bytes(out)


def _text(b, what):
    try:
        return bytes(b).decode()
    except UnicodeError:
        raise DecodeError("gov_text", "not UTF-8", field=what)


def _int_text(b, what):
    t = _text(b, what)
    if not t:
        return 0
    if len(t) > 80 or not t.isdigit():
        raise DecodeError("gov_tally", "tally count is not a decimal integer", field=what)
    return int(t)


def _timestamp_ns(b):
    if b is None:
        return None
    fs = proto.fields(b, 4)
    return (proto.to_int64(proto.get_one(fs, 1, proto.VARINT, 0)) * 10 ** 9
            + proto.to_int32(proto.get_one(fs, 2, proto.VARINT, 0)))


def decode_tally(b):
    fs = proto.fields(b or b"", 8)
    names = ("yes", "abstain", "no", "no_with_veto")
    return {n: _int_text(proto.get_one(fs, i + 1, proto.LEN, b""), n) for i, n in enumerate(names)}


def decode_proposal(value):
    """A stored cosmos.gov.v1.Proposal -> dict (id, status, final tally, times, text)."""
    if not 0 < len(value) <= MAX_PROPOSAL:
        raise DecodeError("gov_proposal_size", "proposal missing or larger than the limit")
    fs = proto.fields(value, 64)
    deposit = []
    for c in proto.get_all(fs, 7, proto.LEN):
        cf = proto.fields(c, 4)
        deposit.append((_text(proto.get_one(cf, 1, proto.LEN, b""), "denom"),
                        _int_text(proto.get_one(cf, 2, proto.LEN, b""), "amount")))
    status = proto.get_one(fs, 3, proto.VARINT, 0)
    return {"id": proto.get_one(fs, 1, proto.VARINT, 0),
            "status": STATUS.get(status, "UNKNOWN_%d" % status),
            "final_tally": decode_tally(proto.get_one(fs, 4, proto.LEN, None)),
            "submit_time_ns": _timestamp_ns(proto.get_one(fs, 5, proto.LEN, None)),
            "voting_end_ns": _timestamp_ns(proto.get_one(fs, 9, proto.LEN, None)),
            "total_deposit": deposit,
            "title": _text(proto.get_one(fs, 11, proto.LEN, b""), "title"),
            "summary": _text(proto.get_one(fs, 12, proto.LEN, b""), "summary"),
            "proposer": _text(proto.get_one(fs, 13, proto.LEN, b""), "proposer"),
            "messages": len(proto.get_all(fs, 2, proto.LEN))}


def decode_vote(value):
    """A stored cosmos.gov.v1.Vote -> {"proposal_id", "voter", "options": [(name, weight)]}."""
    if not 0 < len(value) <= MAX_VOTE:
        raise DecodeError("gov_vote_size", "vote missing or larger than the limit")
    fs = proto.fields(value, 16)
    opts = []
    for o in proto.get_all(fs, 4, proto.LEN):
        of = proto.fields(o, 4)
        n = proto.get_one(of, 1, proto.VARINT, 0)
        opts.append((OPTION_NAMES.get(n, "UNKNOWN_%d" % n),
                     _text(proto.get_one(of, 2, proto.LEN, b""), "weight")))
    return {"proposal_id": proto.get_one(fs, 1, proto.VARINT, 0),
            "voter": _text(proto.get_one(fs, 2, proto.LEN, b""), "voter"), "options": opts}


# --- proven reads ----------------------------------------------------------------------------

def verify_answer(resp, header, key, limit, store=STORE):
    """One abci_query answer for `key` of `store` (x/gov's) at state header.height-1, checked
    against the verified header's app_hash -> value bytes, or None when proven absent.
    Raises ProofError / DecodeError (the source lied or is broken)."""
    check_answer_head(resp, header.height - 1)
    value = b64_field(resp.get("value"), "value")
    if value is not None and len(value) > limit:
        raise DecodeError("gov_value_size", "value larger than the limit", length=len(value))
    proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), header.app_hash,
                                      [store.encode(), key], value)
    return value


class GovReader:
    """x/gov state proven against one verified header (H+1 proves the state after block H).
    query(key) -> abci_query answer dict: one rpc's, or raced over a pool (`pooled`)."""

    def __init__(self, header, query):
        if header.height - 1 < 2:
            raise ProofError("no_state_height", "the SDK proves no state this early: verify a "
                             "later header", height=header.height)
        self.header = header
        self.query = query

    @classmethod
    def of_rpc(cls, rpc, header):
        return cls(header, lambda key: rpc.abci_query("/store/gov/key", key,
                                                      header.height - 1, True))

    def _get(self, key, limit):
        return verify_answer(self.query(key), self.header, key, limit)

    def next_id(self):
        v = self._get(PROPOSAL_ID_KEY, 8)
        if v is None:
            return 1
        if len(v) != 8:
            raise DecodeError("gov_sequence", "proposal id sequence is not 8 bytes")
        return int.from_bytes(v, "big")

    def proposal(self, proposal_id):
        """The proposal, or None when the chain proves there is none (never submitted, or
        deleted when its deposit period ended without enough deposit)."""
        v = self._get(proposal_key(proposal_id), MAX_PROPOSAL)
        return None if v is None else decode_proposal(v)

    def proposals(self, limit=MAX_LIST):
        """The newest `limit` proposals, newest first; ids the chain proves absent are left
        out. Complete: the id sequence is proven, and each id below it is proven either way."""
        last = self.next_id() - 1
        out = []
        for pid in range(last, max(0, last - limit), -1):
            p = self.proposal(pid)
            if p is not None:
                out.append(p)
        return out

    def vote(self, proposal_id, voter20):
        """The stored vote, or None when proven absent (gov deletes the votes when it tallies:
        after the voting period the final tally is the proof)."""
        v = self._get(vote_key(proposal_id, voter20), MAX_VOTE)
        return None if v is None else decode_vote(v)


def pooled(pool, header, until=None):
    """A GovReader whose every read is raced over the client's pool: a source whose proof
    fails is banned by the pool and the next one asked."""
    cache = {}

    def query(key):
        def ask(rpc):
            resp = rpc.abci_query("/store/gov/key", key, header.height - 1, True)
            verify_answer(resp, header, key, MAX_PROPOSAL)
            return resp
        if key not in cache:
            cache[key] = pool.race(ask, until=until)[0]
        return cache[key]

    return GovReader(header, query)


def vote_messages(proposal_id, option, device, owner=None):
    """The messages of a vote signed by the device: its own MsgVote, or, with owner, MsgExec
    (device as grantee) wrapping the owner's MsgVote (the owner's MsgGrant must exist)."""
    if owner is None:
        return [msg_vote(proposal_id, device, option)]
    return [msg_exec(device, [msg_vote(proposal_id, owner, option)])]


def summary_text(p):
    t = p["final_tally"]
    return ("proposal %d [%s] %s\n  final tally: yes %d, no %d, abstain %d, no_with_veto %d\n"
            "  (%s)" % (p["id"], p["status"], p["title"], t["yes"], t["no"], t["abstain"],
                        t["no_with_veto"], WEIGHT_NOTE))
