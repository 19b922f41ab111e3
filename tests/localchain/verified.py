"""Headers our verifier accepted on the real chain: skipping verification from an anchor block
(its commit checked in full) to any later height, with light blocks from one node."""

import time

from lightclient import native
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import (Options, TrustedState, verify_commit_full,
                                            verify_to_height)

DAY_NS = 86400 * 10 ** 9


class Verified:
    def __init__(self, net, node, anchor_height):
        self.rpc = net.rpc(node)
        self.anchor = self.rpc.light_block(anchor_height).light_block
        sh = self.anchor.signed_header
        verify_commit_full(sh.header.chain_id, sh, self.anchor.validators,
                           CachingChecker(native.verify))
        self.state = TrustedState(sh.header, None, self.anchor.validators)

    def at(self, height, now_ns=None):
        """The TrustedState (header, validators) at `height`, verified from the anchor."""
        state, _, _ = verify_to_height(self.state, height,
                                       lambda h: self.rpc.light_block(h).light_block,
                                       Options(DAY_NS), now_ns or time.time_ns(),
                                       checker=CachingChecker(native.verify))
        return state
