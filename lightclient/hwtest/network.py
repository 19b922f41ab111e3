"""The network a board is provisioned on, as the tester tools need it: register a device,
hand out a verified checkpoint, serve light blocks for the self-test's updates.

- ChainNetwork (chain_network.py): the real local Cosmos SDK chain of `mycroft-lc chain up`, the
  default.
- ScenarioNetNetwork: the project's Python scenario network (lightclient/scenarionet): the
  self-test of a board provisioned on it before; it takes no registrations (its devices are
  fixtures of its history).
- SyntheticNetwork: a throw-away chain held in this process (lightclient/scenarionet/chain.py,
  real signatures),
  for bench-testing boards with no network at all; what it registers is forgotten on exit.

Both build the same things for the chip: the checkpoint is trusted_at_rest.encode_trusted() of a state
this process verified, the updates are update_encode.encode_update() of verified light blocks.
"""

import hashlib
import json
import os
import time

from lightclient.atomic_file import write_atomic
from lightclient import native
from lightclient.chip import txs
from lightclient.chip.core import types as T
from lightclient.chip.core import update_encode
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import Options, TrustedState, verify_to_height
from lightclient.hwtest.errors import HwTestError

TRUSTING_PERIOD_NS = 14 * 24 * 3600 * 10**9


def trusted_state_of(lb):
    return TrustedState(lb.signed_header.header, lb.next_validators, lb.validators)


class Network:
    name = "network"
    chain_id = None
    thread_safe = False   # batch serialises the calls of a network that is not
    uuid_is_address = False   # True: a device is named by its chain account address
    takes_registrations = True
    trusting_period_ns = TRUSTING_PERIOD_NS

    def register_device(self, uuid, device_pubkey, owner_seed, account="", account_pub=None,
                        sign_consent=None):
        """-> {"height", ...}. account_pub / sign_consent(chain_id, owner20): the chip's
        account key and its consent, which a chain registration carries."""
        raise NotImplementedError

    def describe(self):
        """What a provisioning record keeps of the network."""
        return {"name": self.name, "chain_id": self.chain_id}

    def device_config(self, address, checkpoint, state_dir):
        """The Pi's device config for a board provisioned here, or None."""
        return None

    def light_block(self, height):
        raise NotImplementedError

    def latest_height(self):
        raise NotImplementedError

    def wait_for_height(self, height, timeout=30.0):
        """Block until the chain has `height` (producing it where the network can)."""
        deadline = time.monotonic() + timeout
        while self.latest_height() < height:
            if time.monotonic() > deadline:
                raise HwTestError("network_stalled", "%s produced no block %d within %.0f s"
                                  % (self.name, height, timeout))
            time.sleep(0.2)

    def checkpoint(self):
        """(TrustedState, header hash) at the latest height, its commit checked against its
        validator set here (the tester's machine trusts its network at provisioning time: that
        is what provisioning establishes)."""
        from lightclient.chip.core.verifier import verify_commit_full
        lb = self.light_block(self.latest_height())
        sh = lb.signed_header
        verify_commit_full(sh.header.chain_id, sh, lb.validators, CachingChecker(native.verify))
        return trusted_state_of(lb), sh.header.hash()

    def update_from(self, height, app_hash=None, target=None, now_ns=None):
        """Compact update bytes taking a chip trusted at `height` to `target` (default: the
        latest height, waiting for one above `height`), verified here first. Returns
        (update bytes, target height, the chip's TrustedState it applies to)."""
        trusted = trusted_state_of(self.light_block(height))
        if app_hash is not None and bytes(app_hash) != trusted.header.app_hash:
            raise HwTestError("network_mismatch", "the board's trusted header at %d is not this "
                              "network's" % height, hint="was the board provisioned on another "
                              "network? self-test it against that one")
        if target is None:
            self.wait_for_height(height + 1)
            target = self.latest_height()
        now = now_ns or time.time_ns()
        now = max(now, self.light_block(target).signed_header.header.time_ns + 1)
        fetched = {}

        def fetch(h):
            fetched[h] = self.light_block(h)
            return fetched[h]

        _, verified, _ = verify_to_height(trusted, target, fetch,
                                          Options(self.trusting_period_ns), now,
                                          checker=CachingChecker(native.verify))
        steps = [fetched[h] for h in verified]
        return update_encode.encode_update(steps, trusted), target, trusted

    def close(self):
        pass


class SyntheticNetwork(Network):
    """An in-process chain: 4 validators with real keys, a block per registration or per
    wait_for_height. With a directory it is kept in directory/synthetic-chain.json (its start
    time and each block's app hash; the blocks are re-signed identically on load), so
    `provision` and a later `selftest` run see the same chain."""

    name = "synthetic"
    FILE = "synthetic-chain.json"

    def __init__(self, directory=None, chain_id="mycroft-hwtest-1", validators=4):
        from lightclient.scenarionet.chain import Chain
        self.path = None if directory is None else os.path.join(directory, self.FILE)
        saved = None
        if self.path and os.path.exists(self.path):
            with open(self.path) as f:
                saved = json.load(f)
            chain_id, validators = saved["chain_id"], saved["validators"]
        self.chain_id = chain_id
        self.validators = validators
        seeds = [hashlib.sha256(b"hwtest validator %d" % i).digest() for i in range(validators)]
        # an hour in the past, so the chip's time floor is never ahead of the tester's clock
        self.start = saved["start_time_ns"] if saved else time.time_ns() - 3600 * 10**9
        self.chain = Chain(chain_id, [(T.ED25519, s, 10) for s in seeds], self.start,
                           block_interval_ns=10**9)
        self.records = saved["records"] if saved else {}
        self.app_hashes = []
        for ah in (saved["app_hashes"] if saved else []):
            self._block(bytes.fromhex(ah), save=False)
        if not self.app_hashes:
            self._block()

    def _block(self, app_hash=None, save=True):
        if app_hash is None:
            app_hash = hashlib.sha256(txs.canonical_json(self.records)).digest()
        self.chain.next_block(app_hash=app_hash)
        self.app_hashes.append(app_hash.hex())
        if self.path and save:
            write_atomic(self.path, json.dumps(
                {"chain_id": self.chain_id, "validators": self.validators,
                 "start_time_ns": self.start, "app_hashes": self.app_hashes,
                 "records": self.records}).encode())

    def register_device(self, uuid, device_pubkey, owner_seed, account="", **_chip):
        from lightclient.chip.crypto import ed25519
        owner_pub = ed25519.public_key(owner_seed)
        body = {"uuid": uuid, "device_pubkey": bytes(device_pubkey).hex(),
                "owner_pubkey": owner_pub.hex(), "account": account}
        if uuid in self.records:
            raise HwTestError("register_refused", "device %s is already registered" % uuid)
        self.records[uuid] = body
        self._block()
        # no transaction here: the record's hash names the registration
        return {"tx_hash": hashlib.sha256(txs.canonical_json(body)).hexdigest().upper(),
                "height": self.chain.height}

    def light_block(self, height):
        try:
            return self.chain.blocks[height]
        except KeyError:
            raise HwTestError("network_height", "no block %d" % height)

    def latest_height(self):
        return self.chain.height

    def wait_for_height(self, height, timeout=30.0):
        while self.chain.height < height:
            self._block()


class ScenarioNetNetwork(Network):
    """The scenario network (lightclient/scenarionet). Attaches to the one running in
    `directory` (started with `mycroft-lc scenarionet up --dir DIR`); with start=True and none
    running, starts one (stopped again by close())."""

    name = "scenarionet"
    thread_safe = True    # one HTTP connection per call
    takes_registrations = False

    def __init__(self, directory, start=False, **options):
        try:
            from lightclient.scenarionet.launcher import ScenarioNet
        except ImportError as e:
            raise HwTestError("scenarionet_missing", "the scenario network "
                              "(lightclient/scenarionet) is not available: %s" % e,
                              hint="use --network synthetic for an offline bench test")
        self._own = False
        try:
            net = ScenarioNet.attach(directory)
            net.latest_height()
        except Exception:  # no scenarionet.json, or nothing answers there
            net = None
        if net is None:
            if not start:
                raise HwTestError("scenarionet_down", "no local network is running in %s"
                                  % directory, hint="start it in another terminal: "
                                  "mycroft-lc scenarionet up --dir %s" % directory)
            net = ScenarioNet(directory, **options)
            net.start()
            self._own = True
        self.scenarionet = net
        self.chain_id = net.chain_id
        from lightclient.rpc import RpcClient
        self._rpc = RpcClient(net.central_url)

    def light_block(self, height):
        return self._rpc.light_block(height).light_block

    def latest_height(self):
        # the node the light blocks come from, not the producer (a node may lag a block)
        return self._rpc.status()["latest_height"]

    def close(self):
        if self._own:
            self.scenarionet.stop()
