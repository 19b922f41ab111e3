"""The device's (and the owner's) SDK transactions on the chain, from the Pi: SIGN_MODE_DIRECT
built by lightclient.chip.cosmos_tx, signed by a sign(sign_doc) function (a key in this
process, or the chip over SMP: the key never comes here).

- Account number and sequence come from *verified* state: the account's entry in x/auth's
  "acc" store proven with ICS23 against the app_hash of a header our light client verified.
- Queued transactions take sequences n, n+1, ... while verified state lags behind.
- A sequence mismatch (the SDK's code 32) is re-signed from fresh verified state and sent
  again, never dropped; after MAX_RESIGN tries the caller gets a typed error and keeps it.
- A rejected transaction is a TxRejected naming the chain's codespace, code and log."""

import base64
import hashlib
import time

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.crypto import backend
from lightclient.clock import Clock
from lightclient.chip.core import proof_chain
from lightclient.chip.core.errors import LightClientError
from lightclient.records import SDK_FIRST_PROVABLE_STATE, parse_proof_ops
from lightclient.sources import NoSource

CODESPACE_SDK = "sdk"
CODE_WRONG_SEQUENCE = 32    # cosmos-sdk types/errors ErrWrongSequence
MAX_RESIGN = 8
INCLUDE_TIMEOUT_S = 30.0
POLL_S = 0.1
MAX_LOG = 300


class TxRejected(LightClientError):
    """check: "tx_rejected" (CheckTx refused it), "tx_failed" (it failed in its block),
    "tx_timeout", "sequence_retries" (still mismatched after MAX_RESIGN re-signs),
    "account_missing" or "account_unprovable" (a header too early for the SDK to prove state
    against); details carry the chain's codespace, code and log."""


def _chain_error(check, message, r, **extra):
    return TxRejected(check, message, code=int(r.get("code", 0)),
                      codespace=r.get("codespace") or "", log=str(r.get("log"))[:MAX_LOG], **extra)


def verified_account(rpc, header, address20):
    """The account at address20 in the state `header` commits (after block header.height-1),
    proven against header.app_hash; None when the chain proves it has no such account.
    `header` must come from our light client's verification."""
    key = ct.account_key(address20)
    height = header.height - 1
    if height < SDK_FIRST_PROVABLE_STATE:
        raise TxRejected("account_unprovable", "the SDK proves no state before height %d: "
                         "verify a later header" % SDK_FIRST_PROVABLE_STATE,
                         header_height=header.height)
    resp = rpc.abci_query("/store/%s/key" % ct.ACC_STORE, key, height, prove=True)
    if int(resp.get("code", 0)) != 0:
        raise _chain_error("account_query", "the node refused the account query", resp)
    value = base64.b64decode(resp["value"]) if resp.get("value") else None
    proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), header.app_hash,
                                      [ct.ACC_STORE.encode(), key], value)
    return ct.decode_account(value) if value is not None else None


def wait_included(rpc, tx, timeout=INCLUDE_TIMEOUT_S, clock=None):
    """/tx by hash until the transaction is in a block: (deliver result, height); a failed
    one raises TxRejected("tx_failed"). The deadline runs on clock.monotonic()."""
    clock = clock or Clock()
    tx_hash = hashlib.sha256(tx).digest()
    deadline = clock.monotonic() + timeout
    while True:
        try:
            res = rpc.call("tx", hash=tx_hash)
            break
        except LightClientError:    # not indexed yet: the node answers an RPC error
            if clock.monotonic() > deadline:
                raise TxRejected("tx_timeout", "transaction not included", hash=tx_hash.hex(),
                                 timeout_s=timeout)
            time.sleep(POLL_S)
    result = res["tx_result"]
    if int(result.get("code", 0)) != 0:
        # its height: a failed transaction still paid its fee in that block
        raise _chain_error("tx_failed", "the transaction failed in its block", result,
                           height=int(res["height"]))
    return result, int(res["height"])


def broadcast(rpc, tx):
    """broadcast_tx_sync; a CheckTx refusal raises TxRejected("tx_rejected")."""
    r = rpc.broadcast_tx_sync(tx)
    if int(r.get("code", 0)) != 0:
        raise _chain_error("tx_rejected", "CheckTx refused the transaction", r)
    return r


def is_wrong_sequence(e):
    return (isinstance(e, TxRejected) and e.details.get("codespace") == CODESPACE_SDK
            and e.details.get("code") == CODE_WRONG_SEQUENCE)


class TxClient:
    """One signer's transactions. account() -> the verified account dict (verified_account
    on the latest verified header); it is asked again after every sequence mismatch."""

    def __init__(self, rpc, chain_id, pub33, sign, account, gas_limit=200000, fee=(),
                 wait_new_state=None, clock=None, granter=""):
        self.rpc = rpc
        self.clock = clock or Clock()
        self.chain_id = chain_id
        self.pub = bytes(pub33)
        self.sign = sign
        self.account = account
        self.gas_limit = gas_limit
        self.fee = tuple(fee)
        self.granter = granter    # an account whose x/feegrant allowance pays the fee
        # called between re-signs so verified state can move on (a block); tests pass the
        # chain's wait for the next height
        self.wait_new_state = wait_new_state or (lambda: time.sleep(0.3))
        self.account_number = None
        self.next_sequence = None
        self.resigned = 0

    def _refresh(self):
        acc = self.account()
        if acc is None:
            raise TxRejected("account_missing", "the chain proves this signer has no account")
        self.account_number = acc["account_number"]
        self.next_sequence = acc["sequence"]

    def build(self, messages, sequence):
        tx, _doc = ct.build(messages, self.pub, self.chain_id, self.account_number, sequence,
                            self.sign, self.gas_limit, self.fee, granter=self.granter)
        return tx

    def submit(self, messages):
        """Signs with the next sequence and broadcasts; returns the tx bytes accepted by
        CheckTx. A sequence mismatch re-reads verified state, re-signs and tries again."""
        if self.next_sequence is None:
            self._refresh()
        for attempt in range(MAX_RESIGN + 1):
            tx = self.build(messages, self.next_sequence)
            try:
                broadcast(self.rpc, tx)
            except TxRejected as e:
                if not is_wrong_sequence(e):
                    raise
                if attempt == MAX_RESIGN:
                    raise TxRejected("sequence_retries", "sequence still mismatched after "
                                     "re-signing", tries=attempt + 1, log=e.details["log"])
                self.resigned += 1
                self.wait_new_state()
                self._refresh()
                continue
            self.next_sequence += 1
            return tx

    def send(self, batches):
        """Each batch of messages as one transaction, sequences n, n+1, ... without waiting
        for blocks between them; then waits for all: [(deliver result, height)]."""
        txs = [self.submit(m) for m in batches]
        return [wait_included(self.rpc, tx, clock=self.clock) for tx in txs]


def send_with_key_file(client, key_path, msgs_of, gas_limit, codespace, refused):
    """The module CLIs' one transaction: msgs_of(signer bech32) signed with the secp256k1 key in
    the file key_path (hex), sent to the light client's first source, its account proven at
    the client's verified head. A refusal in `codespace` (the module's own) is raised as
    refused(code, log), the module's typed error; any other refusal as TxRejected.
    -> (deliver result, inclusion height)."""
    with open(key_path) as f:
        secret = bytes.fromhex(f.read().strip())
    pub = backend.secp256k1_public_key(secret)
    header = client.trusted().light_block.signed_header.header
    cands = client.pool.candidates()
    if not cands:
        raise NoSource("no_source", "no source to send the transaction to")
    rpc = cands[0].rpc
    tx = TxClient(rpc, header.chain_id, pub, ct.sign_secp256k1(secret), lambda: (
        verified_account(rpc, client.trusted().light_block.signed_header.header,
                         ct.account_address(pub))), gas_limit=gas_limit)
    try:
        [(res, height)] = tx.send([msgs_of(ct.bech32_address(pub))])
    except TxRejected as e:
        if e.details.get("codespace") != codespace:
            raise
        raise refused(e.details.get("code", 0), e.details.get("log"))
    return res, height
