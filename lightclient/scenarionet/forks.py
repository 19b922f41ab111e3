"""Conflicting chains a faulty node serves (minority_fork, lunatic, future): built locally from
the producer's honest chain (`up`, node.Upstream) and signed with the validators' keys, which
the simulator knows."""

import json
import threading

from lightclient.chip import txs as txmod
from lightclient.scenarionet.chain import header_json  # noqa: F401  (re-exported for faults)
from lightclient.scenarionet import app as appmod
from lightclient.scenarionet import history as hist
from lightclient.scenarionet.device_template import merge_setting

SECOND = hist.SECOND


class ForkedChain:
    """A conflicting chain from `fork_height` on (headers chained by hash), signed with
    validator keys."""

    def __init__(self, spec, up, fork_height, vals_for, signers_for, app_hash, time_offset_ns=0):
        self.spec = spec
        self.up = up
        self.fork_height = fork_height
        self.vals_for = vals_for        # height -> (ValidatorSet, next ValidatorSet, keys)
        self.signers_for = signers_for  # (height, ValidatorSet) -> signer indices or None (all)
        self.app_hash = app_hash
        self.time_offset_ns = time_offset_ns
        self._hashes = {}
        self._blocks = {}
        self._lock = threading.Lock()

    def _header(self, h, prev_hash):
        vals, nvals, _ = self.vals_for(h)
        return hist.make_header(
            self.spec, h, hist.block_id_of(prev_hash),
            hist.last_commit_digest(prev_hash, b"forged"), vals.hash(), nvals.hash(),
            self.app_hash, vals.validators[(h - 1) % len(vals)].address,
            time_ns=self.spec.time_at(h) + self.time_offset_ns)

    def hash_at(self, h):
        with self._lock:
            if h in self._hashes:
                return self._hashes[h]
            start = max([x for x in self._hashes if x < h], default=None)
            if start is None:
                prev = self.up.header(self.fork_height - 1).hash()
                start = self.fork_height - 1
            else:
                prev = self._hashes[start]
            for x in range(start + 1, h + 1):
                prev = self._header(x, prev).hash()
                self._hashes[x] = prev
            return prev

    def header(self, h):
        prev = self.hash_at(h - 1) if h > self.fork_height else self.up.header(h - 1).hash()
        return self._header(h, prev)

    def block(self, h):
        """(header, commit) at h, signed (cached)."""
        with self._lock:
            b = self._blocks.get(h)
        if b is not None:
            return b
        hd = self.header(h)
        vals, _, keys = self.vals_for(h)
        signers = self.signers_for(h, vals)
        commit = hist.sign_commit(hd, hist.block_id_of(hd.hash()), vals, keys.__getitem__,
                                  signers=signers)
        with self._lock:
            self._blocks[h] = (hd, commit)
        return hd, commit


def minority_signers(vals):
    """The smallest validators, while their power stays below 1/3 of the total."""
    out, power = [], 0
    for i in range(len(vals) - 1, -1, -1):
        p = vals.validators[i].voting_power
        if 3 * (power + p) >= vals.total_power:
            break
        out.append(i)
        power += p
    return out or [len(vals) - 1]


def minority_fork(spec, up, fork_height):
    """The honest validator sets, each commit signed by less than a third of the power."""

    def vals_for(h):
        vals, keys = up.valset_and_keys(h)
        nvals, _ = up.valset_and_keys(h + 1) if h + 1 <= up.latest() + 1 else (vals, None)
        return vals, nvals, keys

    forged_app = hist._sha(b"minority-fork-app-hash", str(fork_height).encode())
    return ForkedChain(spec, up, fork_height, vals_for, lambda h, vals: minority_signers(vals),
                       forged_app)


def lunatic(spec, up, fork_height, signer_height, setting, uuid=None):
    """(ForkedChain, ForgedState): every header names the set of `signer_height` as both
    validators and next validators and is signed by all of it; the state is the honest one of
    fork_height - 1 with the devices' `setting` merged with the attacker's (one device's when
    `uuid` is given), version + 1."""
    old_vals, old_keys = up.valset_and_keys(signer_height)
    st = up.call("scenarionet_state", {"height": str(fork_height - 1)})
    stores = {n: {bytes.fromhex(k): bytes.fromhex(v) for k, v in items.items()}
              for n, items in st["stores"].items()}
    changes = {}
    for k, v in stores["devices"].items():
        if not k.startswith(txmod.KEY_PREFIX):
            continue
        rec = json.loads(v)
        if uuid and rec["uuid"] != uuid:
            continue
        rec["setting"] = merge_setting(rec["setting"], setting)
        rec["version"] += 1
        changes[k] = txmod.canonical_json(rec)
    versions = {n: max(1, int(x)) for n, x in st["versions"].items()}
    forged = appmod.ForgedState(stores, versions, {"devices": changes})
    fork = ForkedChain(spec, up, fork_height, lambda h: (old_vals, old_vals, old_keys),
                       lambda h, vals: None, forged.app_hash)
    return fork, forged


def future_block(spec, up, latest, offset_s):
    """(header, commit) of head + 1, signed by the real validators, offset_s ahead of its slot."""

    def vals_for(h):
        vals, keys = up.valset_and_keys(h)
        return vals, vals, keys

    fork = ForkedChain(spec, up, latest + 1, vals_for, lambda h, v: None,
                       up.header(latest).app_hash, offset_s * SECOND)
    return fork.block(latest + 1)


def store_of_path(path):
    """The store of an `/store/<name>/key` query path, None for any other path."""
    parts = path.split("/")
    if len(parts) != 4 or parts[0] or parts[1::2] != ["store", "key"] or \
            parts[2] not in appmod.STORES:
        return None
    return parts[2]
