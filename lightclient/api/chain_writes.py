# The device API's writes on a Cosmos SDK chain (tools/chain, x/devices): each write is the
# device's own transaction, one MsgDeviceWrite in SIGN_MODE_DIRECT (lightclient/chip/cosmos_tx.py),
# signed by the device's account key (on the chip: SMP SIGN_TX, the key never comes here), and
# carrying only the write sealed on the chip to its owner's key epoch (sealed_writes.py,
# docs/device-writes.md): no plaintext reaches the chain.
#
# - The account number and sequence come from verified state: the device's x/auth account proven
#   with ICS23 against a header our light client verified (txclient.verified_account), asked of
#   the client's sources. The account number never changes: it is kept beside the queue
#   (account.json) so writes can be queued while the network is down.
# - Queued writes take sequences n, n+1, ... (the queue's nonces) while verified state lags; a
#   sequence mismatch (the SDK's code 32) re-signs the entry with the sequence verified state
#   shows, in place, and sends it again: never dropped (resign()).
# - A write is delivered when verified state shows it: the account's sequence moved past the
#   entry's and the device's write of its kind (store "devices", key 0x05 || write/<owner>/
#   <device>.<kind>) is the envelope the entry's transaction carries, both proven against the
#   same verified header. A node's code 0 is a claim.
# - A refusal (CheckTx code > 0) carries the chain's codespace, code and log (TxRejected).

import base64
import hashlib
import json

from lightclient import native, txclient
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proof_chain
from lightclient.chip.core import types as T
from lightclient.chip.core.errors import LightClientError, SignatureError
from lightclient.chip.smp import lc
from lightclient.api.submitter import SPENT
from lightclient.records import SDK_FIRST_PROVABLE_STATE, parse_proof_ops
from lightclient.rpc import int_field

FRESH_S = 1.0                   # a verified header this young is used without a new sync
SYNC_DEADLINE_S = 10.0
ACCOUNT_META = "account"
# The chip reads a TxBody of at most this many bytes before it signs (SMP SIGN_TX): a write the
# chip could not sign is refused for every signer, up front (413), not by the chip (503).
MAX_BODY_BYTES = lc.MAX_SIGN_BYTES
MAX_WRITE_JSON = 4096           # what one write seals (x/devices: MaxSettingsLen)
MAX_TX_BYTES = 16 * 1024        # a device write's whole TxRaw


def is_cosmos_chain(config):
    """The config names a Cosmos SDK chain (its writes are the device's SDK transactions), not
    the scenario network: its chain_kind says so (record_layouts.COSMOS_SDK), or check_unbonding
    does, which only a Cosmos SDK chain's config sets (the scenario network has no staking store;
    chain_kind defaults to the scenario network's for configs written before it existed)."""
    from lightclient import record_layouts
    return config.chain_kind == record_layouts.COSMOS_SDK or bool(config.check_unbonding)


class ChainView:
    """What a proof stood on, in the shape the service's proof headers read."""

    def __init__(self, raw, age_s, agreed):
        header = raw.light_block.signed_header.header
        self.header = header
        self.height = header.height
        self.header_hash = header.hash()
        self.header_time_ns = header.time_ns
        self.age_s = age_s
        self.stale = False
        self.agreed = agreed


class ChainWriter:
    """The device's writes as its own transactions, for one LightClient (its sources and its
    verified headers) and one signer with account_key() and sign_doc(doc)."""

    def __init__(self, client, chain_id, signer, queue=None, gas_limit=200000, sealer=None):
        self.client = client
        # seals and opens the writes (sealed_writes.ChipSealer); None: no chip, no writes
        self.sealer = sealer
        self.chain_id = chain_id
        self.signer = signer
        self.queue = queue
        self.gas_limit = gas_limit
        self.pub = bytes(signer.account_key())
        if len(self.pub) != 33:
            raise LightClientError("account_key", "the signer's account key is not a compressed "
                                   "secp256k1 key", length=len(self.pub))
        self.address20 = ct.account_address(self.pub)
        self.address = ct.bech32_address(self.pub)
        self.account_number = None
        meta = queue.load_meta(ACCOUNT_META) if queue is not None else None
        if meta and meta.get("address") == self.address:
            self.account_number = int_field(meta.get("account_number"), 0)
        self.resigned = 0

    # -- verified state ---------------------------------------------------------------------
    def view(self):
        """The client's newest verified header, synced first unless it is FRESH_S young."""
        c = self.client
        mono = c.clock.monotonic()
        if c.trusted() is None or c.last_sync_mono is None or mono - c.last_sync_mono > FRESH_S:
            c.sync(deadline_s=SYNC_DEADLINE_S)
            c.last_sync_mono = c.clock.monotonic()    # "at the head" returns without setting it
        raw = c.trusted()
        if raw is None:
            raise LightClientError("no_verified_header", "the light client has verified nothing")
        age = max(0.0, (c.clock.now_ns() - raw.light_block.signed_header.header.time_ns) / 1e9)
        return ChainView(raw, age, c.head_agreed)

    def _prove(self, view, store, key):
        """The value at store/key in the state view.header commits, proven with ICS23 against
        its app_hash through any source (a wrong proof bans the source); None: proven absent."""
        height = view.height - 1
        if height < SDK_FIRST_PROVABLE_STATE:
            raise txclient.TxRejected("account_unprovable", "no provable state yet",
                                      header_height=view.height)

        def ask(rpc):
            resp = rpc.abci_query("/store/%s/key" % store, key, height, prove=True)
            value = base64.b64decode(resp["value"]) if resp.get("value") else None
            proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), view.header.app_hash,
                                              [store.encode(), key], value)
            return value

        value, _src = self.client.pool.race(ask)
        return value

    def account(self, view):
        """The device's account proven at `view`; TxRejected account_missing when the chain
        proves there is none (not registered)."""
        acc, _src = self.client.pool.race(
            lambda rpc: txclient.verified_account(rpc, view.header, self.address20))
        if acc is None:
            raise txclient.TxRejected("account_missing", "the chain proves this device has no "
                                      "account (not registered)", address=self.address)
        if self.account_number != acc["account_number"]:
            self.account_number = acc["account_number"]
            if self.queue is not None:
                self.queue.save_meta(ACCOUNT_META, {"address": self.address,
                                                    "account_number": self.account_number})
        return acc

    def _sealer(self):
        if self.sealer is None:
            raise txclient.TxRejected("writes_sealed", "the device's writes are sealed on its "
                                      "chip: no chip on the link (--signer mcu:PORT)")
        return self.sealer

    def last_write(self, kind, view):
        """The device's last write of `kind` (its envelope bytes) proven at `view`, or None
        when the chain proves there is none."""
        return self._sealer().last(kind, lambda store, key: self._prove(view, store, key))

    def proven_skills(self):
        """(skills array of the last skill_settings write, opened on the chip; its view): the
        base a skill upload is merged into."""
        view = self.view()
        self.account(view)                      # not registered: account_missing
        last = self.last_write("skill_settings", view)
        if last is None:
            return [], view
        plain = self._sealer().open("skill_settings", last,
                                    lambda store, key: self._prove(view, store, key))
        try:
            out = json.loads(plain.decode())
        except (ValueError, UnicodeError):
            out = []
        return (out if isinstance(out, list) else []), view

    def seal(self, kind, data_json, view, pending=0):
        """The write sealed on the chip (its version after `pending` queued writes of `kind`)."""
        if len(data_json.encode()) > MAX_WRITE_JSON:
            raise TxTooLarge(len(data_json.encode()), MAX_WRITE_JSON)
        return self._sealer().seal(kind, data_json.encode(),
                                   lambda store, key: self._prove(view, store, key), pending)

    # -- transactions -----------------------------------------------------------------------
    def builder(self, kind, data_json, view=None, pending=0):
        """build_tx(sequence) -> TxRaw bytes, for the queue: the write sealed on the chip now
        (at `view`, or the newest verified header), signed at each build."""
        env = self.seal(kind, data_json, view or self.view(), pending)
        msg = ct.msg_device_write(self.address, kind, env)
        body = len(ct.tx_body([msg]))
        if body > MAX_BODY_BYTES:
            raise TxTooLarge(body, MAX_BODY_BYTES)

        def build(sequence):
            if self.account_number is None:
                raise txclient.TxRejected("account_unknown", "the device's account number is "
                                          "not verified yet (the chain was never reached)")
            tx, _doc = ct.build([msg], self.pub, self.chain_id, self.account_number, sequence,
                                self._sign, self.gas_limit)
            if len(tx) > MAX_TX_BYTES:
                raise TxTooLarge(len(tx), MAX_TX_BYTES)
            return tx
        return build

    def _sign(self, doc):
        """The signer's signature, checked against the account key before anything is queued:
        a faulty chip or a wrong key file is an error now, not a refusal hours later."""
        sig = bytes(self.signer.sign_doc(doc))
        if len(sig) != 64 or not native.verify(T.SECP256K1, self.pub, bytes(doc), sig):
            raise SignatureError("device_signature", "the signer's signature does not verify "
                                 "against the device's account key")
        return sig

    def broadcast(self, tx):
        """broadcast_tx_sync through any source; a CheckTx refusal is TxRejected with the
        chain's codespace, code and log. Returns the tx hash (hex, computed here)."""
        result, src = self.client.pool.race(lambda rpc: rpc.broadcast_tx_sync(bytes(tx)))
        code = int_field(result.get("code", 0), 0, 0xFFFFFFFF)
        if code is None:
            code = -1              # the answer did not parse: transient
        if code != 0:
            raise txclient.TxRejected("tx_rejected", "the chain refused the transaction",
                                      code=code, codespace=str(result.get("codespace") or ""),
                                      log=str(result.get("log", ""))[:txclient.MAX_LOG],
                                      url=src.url)
        return hashlib.sha256(bytes(tx)).hexdigest().upper()

    def confirm(self, entry):
        """True when verified state shows the entry landed; None while it cannot tell (not
        processed yet, or nothing proven right now). When the account's sequence moved past the
        entry's without its data, a node is asked for the transaction by hash: included and
        failed (which spends the sequence all the same) -> the reason, a dict with the chain's
        code and log, for the dead letters; unknown -> submitter.SPENT (another transaction
        took the sequence: re-sign). Said to be fine while verified state shows another value
        (only another writer with this key gets there) -> a dead letter too: a node's word is
        never taken for delivery, and a stale write is not sent over a newer one."""
        try:
            view = self.view()
            acc = self.account(view)
            if acc["sequence"] <= entry.nonce:
                return None
            last = self.last_write(entry.kind, view)
        except LightClientError:
            return None
        if last is not None and bytes(last) in bytes(entry.tx):
            return True                  # the envelope stored is the one this entry carries
        try:
            res, _src = self.client.pool.race(lambda rpc: rpc.call("tx", hash=bytes.fromhex(
                entry.tx_hash)))
            r = res["tx_result"]
            code = int_field(r.get("code", 0), 0, 0xFFFFFFFF)
        except (LightClientError, KeyError, TypeError, AttributeError):
            return SPENT                     # no node knows it: never included
        if code == 0:
            return {"check": "tx_unproven", "message": "a node says it was included, verified "
                    "state at height %d holds another value of its kind" % view.height,
                    "sequence": entry.nonce}
        return {"check": "tx_failed", "message": "it failed in its block (sequence spent, "
                "write absent, proven at height %d)" % view.height, "sequence": entry.nonce,
                "code": code, "codespace": str(r.get("codespace") or "")[:64],
                "log": str(r.get("log", ""))[:txclient.MAX_LOG]}

    def resign(self, entry, err):
        """A sequence mismatch (or the entry's sequence spent by another transaction): the entry
        re-signed with the account's verified sequence and rewritten in the queue."""
        view = self.view()
        seq = self.account(view)["sequence"]
        self.resigned += 1
        pending = sum(1 for e in self.queue.pending() if e.kind == entry.kind and e.seq < entry.seq)
        return self.queue.resign(entry, seq, self.builder(entry.kind, entry.data, view, pending))


class TxTooLarge(Exception):
    def __init__(self, size, limit):
        Exception.__init__(self, size, limit)
        self.size = size
        self.limit = limit
