"""The device's own x/auth account, proven to the chip (docs/sign-policy.md, "The sequence"):
read from VERIFIED state (an ICS23 proof against a header our light client verified) and sent on
the last compact update, where the chip checks the headers and the proof again itself and keeps
the account's sequence as the floor below which it signs no transaction. The same path as the
release records (lightclient/releases.py); nothing here decides for the chip."""

from lightclient import gov, mcu_bridge
from lightclient.chip import cosmos_tx as ct
from lightclient.records import parse_proof_ops


class ProvenAccount:
    """An account proven against verified header H+1 (value None: proven absent). What
    mcu_bridge.encode sends the chip: store, key, value, proof_ops, height (H)."""

    store = ct.ACC_STORE

    def __init__(self, address20, value, height, proof_ops):
        self.key = ct.account_key(address20)
        self.value, self.height, self.proof_ops = value, height, proof_ops
        self.account = None if value is None else ct.decode_account(value)


def prove(pool, header, address20, until=None):
    """The account at address20 proven against verified `header` (H+1), raced over the pool:
    a source whose proof fails is banned and the next one asked. -> ProvenAccount."""
    key = ct.account_key(address20)

    def ask(rpc):
        resp = rpc.abci_query("/store/%s/key" % ct.ACC_STORE, key, header.height - 1, True)
        value = gov.verify_answer(resp, header, key, ct.MAX_ACCOUNT, store=ct.ACC_STORE)
        return ProvenAccount(address20, value, header.height - 1, parse_proof_ops(resp))

    return pool.race(ask, until=until)[0]


def push(mcu, pool, options, pub33, now_ns, verify_fn):
    """Bring the chip from its trusted header to the pool's latest height with its account's
    proof on the last update. -> (ProvenAccount, the chip's answers)."""
    chip = mcu_bridge.chip_state(pool, mcu.status())
    target, _ = pool.race(lambda rpc: rpc.status()["latest_height"])
    steps = mcu_bridge.plan(pool, chip, target, options, now_ns, verify_fn)
    proven = prove(pool, steps[-1].signed_header.header, ct.account_address(pub33))
    updates = mcu_bridge.encode(chip, steps, proven, (options.trust_num, options.trust_den))
    return proven, [mcu.submit_update(u, now_ns) for u in updates]
