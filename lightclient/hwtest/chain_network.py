"""The real local chain (`mycroft-lc chain up --dir D`: Cosmos SDK on CometBFT, tools/chain) as
the tester tools' network, their default.

A board's device is named by its chain account: the chip makes the secp256k1 account key and
signs its consent to be registered by this owner on this chain; the owner's transaction
(x/devices MsgRegisterDevice, built by lightclient.chip.cosmos_tx and sent by txclient through
lightclient.localchain.devicetx, the registrar the demo and the chain tests use) carries it and
funds the new account. No settings are written at registration: a device's settings are the
owner's sealed envelopes, written later. The owner is an account of the chain's test keyring
(D/client: `owner`, `alice`, `bob`, funded in genesis), or the key of an `owner init` key file
(owner_key), which `mycroft-lc chain fund` pays for on a local chain.
"""

import os
import time

from lightclient import config as lcconfig
from lightclient.chip import cosmos_tx as ct
from lightclient.hwtest.errors import HwTestError
from lightclient.hwtest.network import Network

DEFAULT_OWNER = "owner"
DEFAULT_FUNDING = (("stake", 5000),)   # the device's first fees (its own writes, votes)
START_NODES = (4, 1)                   # --start-chain on an empty directory: validators, full nodes
START_TIMEOUT_S = 120.0
CODESPACE_DEVICES = "devices"
CODE_DEVICE_EXISTS = 4                 # x/devices ErrDeviceExists (types/errors.go)


def _answering_node(info):
    """Index of the first node whose RPC answers /status, else None."""
    from lightclient.rpc import RpcClient, SourceError
    for i, n in enumerate(info["nodes"]):
        try:
            RpcClient(n["rpc"], timeout=2.0).status()
            return i
        except (SourceError, OSError, KeyError, ValueError, TypeError):
            continue
    return None


class ChainNetwork(Network):
    """Attaches to the local chain of `directory` (its network.json; some node must answer).
    With start=True and none running there, runs one in this process (built first when the
    directory is empty, with the relays `chain up` puts in front of the nodes) until close()."""

    name = "chain"
    uuid_is_address = True

    def __init__(self, directory, start=False, owner_account=DEFAULT_OWNER,
                 funding=DEFAULT_FUNDING, owner_key=None):
        from lightclient.localchain import binary, network
        self.dir = os.path.abspath(directory)
        self.owner_account = owner_account
        self.owner_key = owner_key    # an owner.keyfile.OwnerKey: registrations are its own
        self.funding = tuple(funding)
        self._lock = self._relays = self._owner = None
        self.net = None
        try:
            info = network.load(self.dir)
        except binary.ChainError:
            info = None
        node = _answering_node(info) if info else None
        if node is None:
            if not start:
                raise HwTestError("chain_down", "no local chain is running in %s" % self.dir,
                                  hint="start it in another terminal: mycroft-lc chain up "
                                       "--dir %s (or add --start-chain)" % directory)
            node = self._start()
        else:
            self.net = network.Network(self.dir)
        self.node = node
        self.chain_id = self.net.info["chain_id"]
        _, unbonding_s = lcconfig.localchain_info(self.dir)
        self.trusting_period_ns = lcconfig.trusting_period_of(unbonding_s) * 10 ** 9
        self._rpc = self.net.rpc(node)

    def _start(self):
        from lightclient.localchain import binary, faults, genesis, network
        from lightclient.records import SDK_FIRST_PROVABLE_STATE
        try:
            self._lock = network.acquire_lock(self.dir, "board --start-chain")
            if not os.path.exists(os.path.join(self.dir, "network.json")):
                os.makedirs(self.dir, exist_ok=True)
                v, f = START_NODES
                genesis.build(self.dir, v, f, genesis.free_base_port(v + f))
            self.net = network.Network(self.dir)
            self.net.start()
            self.net.wait_for_height(SDK_FIRST_PROVABLE_STATE + 1, timeout=START_TIMEOUT_S)
            self._relays = faults.Supervisor(self.net)
        except binary.ChainError as e:
            self.close()
            raise HwTestError("chain_start", "could not start the local chain in %s: %s"
                              % (self.dir, e), hint="run it yourself: mycroft-lc chain up "
                              "--dir %s" % self.dir)
        return 0

    # --- registration ---------------------------------------------------------------------

    def owner_address(self):
        from lightclient.localchain import binary, devicetx
        if self._owner is not None:
            return self._owner
        if self.owner_key is not None:
            self._owner = self.owner_key.address()
            return self._owner
        try:
            self._owner = devicetx.key_info(self.net.info, self.owner_account)[0]
            return self._owner
        except binary.ChainError as e:
            raise HwTestError("owner_account", "the chain's keyring has no account %r: %s"
                              % (self.owner_account, e.details.get("stderr", e)),
                              hint="name a funded account of %s with --owner-account "
                                   "(owner, alice, bob)" % os.path.join(self.dir, "client"))

    def register_device(self, uuid, device_pubkey, owner_seed, account="", account_pub=None,
                        sign_consent=None):
        """The owner's transaction registering the chip's account key `account_pub`, carrying
        the consent sign_consent(chain_id, owner address20) the chip signs; returns once the
        chain has the block after it (the first whose header commits the record)."""
        from lightclient.localchain import devicetx
        from lightclient.txclient import TxRejected
        if account_pub is None or sign_consent is None:
            raise HwTestError("register", "a chain registration needs the chip's account key "
                              "and its signed consent")
        owner = self.owner_address()
        try:
            if self.owner_key is not None:
                height = devicetx.register_consented_by(
                    self.net, owner, self.owner_key.secp256k1_secret, account_pub,
                    sign_consent, b"", self.funding)
            else:
                height = devicetx.register_consented(self.net, self.owner_account, account_pub,
                                                     sign_consent, b"", self.funding)
        except TxRejected as e:
            if e.check == "account_missing":     # an owner key nothing has funded yet
                raise HwTestError(
                    "owner_unfunded", "the chain proves no account for the owner %s: nothing "
                    "has funded it" % owner, hint="on a local chain: mycroft-lc chain fund %s "
                    "100000 --dir %s" % (owner, self.dir), owner_address=owner)
            d = e.details
            exists = (d.get("codespace"), d.get("code")) == (CODESPACE_DEVICES,
                                                             CODE_DEVICE_EXISTS)
            raise HwTestError(
                "already_registered" if exists else "register_refused",
                "the chain refused the registration (%s): code %s in %r: %s"
                % (e.check, d.get("code"), d.get("codespace"), d.get("log")),
                hint="this account key is registered already: the board keeps its record; "
                     "--force gives the board a NEW key and a new registration" if exists else
                     "the owner %s must hold the funding (%s) and the fees" % (
                         owner, ", ".join("%d%s" % (a, dn) for dn, a in self.funding)),
                code=d.get("code"), codespace=d.get("codespace"), log=d.get("log"))
        self.wait_for_height(height + 1)
        return {"height": height, "owner_address": owner,
                "address": ct.bech32_address(account_pub)}

    # --- blocks -----------------------------------------------------------------------------

    def light_block(self, height):
        from lightclient.rpc import SourceError
        for attempt in range(5):
            try:
                return self._rpc.light_block(height).light_block
            except SourceError:
                # a node's /commit of the head its /status just named can answer 500 for a
                # moment (seen under load): asked again, briefly
                if attempt == 4:
                    raise
                time.sleep(0.2)

    def latest_height(self):
        return self._rpc.status()["latest_height"]

    def device_config(self, address, checkpoint, state_dir):
        """The device's config (chain_kind cosmos-sdk, sources: the relays `chain up` runs,
        central full0 when the chain has it) anchored at the provisioning checkpoint."""
        names = [n["name"] for n in self.net.info["nodes"]]
        central = "full0" if "full0" in names else names[0]
        return lcconfig.from_localchain(self.dir, os.path.abspath(state_dir), address,
                                        {"height": checkpoint["height"],
                                         "hash": checkpoint["hash"]}, central=central)

    def describe(self):
        return {"name": self.name, "chain_id": self.chain_id, "dir": self.dir}

    def close(self):
        if self._relays is not None:
            self._relays.close()
            self._relays = None
        if self._lock is not None:
            if self.net is not None:
                self.net.stop()
            self._lock.release()
            self._lock = None
