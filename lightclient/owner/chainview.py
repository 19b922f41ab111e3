# What the owner's tool reads of the chain, verified: headers by our light client (skipping from
# an anchor the owner names, as `cometbft light --height --hash` does), records by ICS23 against
# a verified app_hash. Nothing a node answers is used before it checks.

import time

from lightclient import native, txclient
from lightclient.clock import Clock
from lightclient.chip.core import proof_chain
from lightclient.chip.core.errors import InvalidData, Unavailable
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import (Options, TrustedState, verify_commit_full,
                                            verify_to_height)
from lightclient.records import SDK_FIRST_PROVABLE_STATE, parse_proof_ops
from lightclient.rpc import b64_field

DAY_NS = 86400 * 10 ** 9
TRUSTING_PERIOD_NS = 7 * DAY_NS
WAIT_S = 30.0
POLL_S = 0.1


class AnchorMismatch(InvalidData):
    """The node's header at the anchor height is not the one the owner trusts."""


class ChainView:
    def __init__(self, rpc, chain_id, anchor_height, anchor_hash, clock=None,
                 trusting_period_ns=TRUSTING_PERIOD_NS):
        self.rpc = rpc
        self.chain_id = chain_id
        self.anchor = (int(anchor_height), bytes(anchor_hash))
        self.clock = clock or Clock()
        self.now_ns = self.clock.now_ns
        self.options = Options(trusting_period_ns)
        self.checker = CachingChecker(native.verify)
        self.trusted = None
        self.min_height = 0           # raised past every write we made: reads see our writes

    def _anchor_state(self):
        height, want = self.anchor
        lb = self.rpc.light_block(height).light_block
        sh = lb.signed_header
        if sh.header.hash() != want or sh.header.chain_id != self.chain_id:
            raise AnchorMismatch("owner_anchor", "the node's header at the anchor is not the "
                                 "trusted one", height=height, got=sh.header.hash().hex(),
                                 chain_id=sh.header.chain_id)
        verify_commit_full(self.chain_id, sh, lb.validators, self.checker)
        return TrustedState(sh.header, None, lb.validators)

    def head(self, min_height=None):
        """The latest header (at least min_height), verified from the last verified one."""
        if self.trusted is None:
            self.trusted = self._anchor_state()
        target = self.rpc.status()["latest_height"]
        deadline = self.clock.monotonic() + WAIT_S
        while min_height and target < min_height:
            if self.clock.monotonic() > deadline:
                raise Unavailable("owner_head", "the chain did not reach the height asked for",
                                  height=min_height, latest=target)
            time.sleep(POLL_S)
            target = self.rpc.status()["latest_height"]
        if target > self.trusted.header.height:
            self.trusted, _, _ = verify_to_height(
                self.trusted, target, lambda h: self.rpc.light_block(h).light_block,
                self.options, self.now_ns(), checker=self.checker)
        return self.trusted.header

    def prove(self, store, key, min_height=None):
        """The value at `key` of `store` after the latest verified block, or None when the proof
        shows it absent (state H is committed by header H+1's app_hash)."""
        header = self.head(max(min_height or 0, self.min_height,
                               SDK_FIRST_PROVABLE_STATE + 1))
        resp = self.rpc.abci_query("/store/%s/key" % store, key, header.height - 1, prove=True)
        value = b64_field(resp.get("value"), "value")
        proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), header.app_hash,
                                          [store.encode(), bytes(key)], value)
        return value

    def account(self, address20):
        return txclient.verified_account(self.rpc, self.head(SDK_FIRST_PROVABLE_STATE + 1),
                                         address20)
