# The provisioned device configuration: one JSON file written at provisioning time (by the owner's
# tooling, or `mycroft-lc provision`). It is the device's root of trust together with the state
# directory, so it is validated strictly on load (typed ConfigError naming the field).
#
# {"chain_id": "...", "checkpoint": {"height": N, "hash": "<hex 32 bytes>"},
#  "central": "http://...", "peers": ["http://...", ...], "trusting_period_s": 1209600,
#  "trust_level": [1, 3], "device_uuid": "...", "owner_pubkey": "<hex>",
#  "state_dir": "...", "witnesses": 1, "ws_k": 2, "hedge_delay_s": 0.25,
#  "request_timeout_s": 2.5, "lan": false, "check_unbonding": false, "chain_kind": "scenarionet",
#  "discover": true}
# discover: ask the sources for their peers (/net_info) when too few answer, and keep those found
# (false: only the sources named here, as an operator who pins them wants).
# chain_kind picks where the device's record lives and how it reads (record_layouts.py):
# "cosmos-sdk" (the real chain's x/devices; device_uuid is then the device's account address,
# "mycroft1...") or "scenarionet" (the Python scenario network's JSON records; the default of
# older configs). "devnet", its old name, is still read and becomes "scenarionet" on load.

import json
import os

from lightclient import record_layouts
from lightclient.chip.core.errors import LightClientError, LocalFault
from lightclient.rpc import RpcClient, SourceError
from lightclient.atomic_file import write_atomic

DAY = 86400
DEFAULTS = {"trusting_period_s": 14 * DAY, "trust_level": [1, 3], "witnesses": 1, "ws_k": 2,
            "hedge_delay_s": 0.25, "request_timeout_s": 2.5, "lan": False, "peers": [],
            "max_blocks": 16, "owner_pubkey": "", "central": "", "check_unbonding": False,
            "chain_kind": record_layouts.SCENARIONET, "discover": True}
MAX_CONFIG = 256 * 1024


class ConfigError(LocalFault):
    """The device configuration is missing or malformed."""


def _json(data, what):
    """Bounded JSON (floats allowed: timeouts are fractional seconds)."""
    if len(data) > MAX_CONFIG:
        raise ConfigError("config_too_large", what + " is larger than the limit", limit=MAX_CONFIG)
    try:
        return json.loads(data)
    except (ValueError, UnicodeError, RecursionError) as e:
        raise ConfigError("config_json", what + " is not valid JSON: %s" % str(e)[:80])


class Config:
    def __init__(self, chain_id, checkpoint_height, checkpoint_hash, state_dir, central="",
                 peers=(), device_uuid=None, owner_pubkey=b"", trusting_period_s=14 * DAY,
                 trust_level=(1, 3), witnesses=1, ws_k=2, hedge_delay_s=0.25,
                 request_timeout_s=2.5, lan=False, max_blocks=16, check_unbonding=False,
                 chain_kind=record_layouts.SCENARIONET, discover=True):
        self.chain_id = chain_id
        self.checkpoint_height = checkpoint_height
        self.checkpoint_hash = checkpoint_hash
        self.state_dir = state_dir
        self.central = central
        self.peers = list(peers)
        self.device_uuid = device_uuid
        self.owner_pubkey = owner_pubkey
        self.trusting_period_s = trusting_period_s
        self.trust_level = tuple(trust_level)
        self.witnesses = witnesses
        self.ws_k = ws_k
        self.hedge_delay_s = hedge_delay_s
        self.request_timeout_s = request_timeout_s
        self.lan = lan
        self.max_blocks = max_blocks
        # a Cosmos SDK chain: the trusting period is checked against the unbonding time
        # proven from its staking params (staking_params.py); the scenario network has no staking
        # store
        self.check_unbonding = check_unbonding
        self.chain_kind = record_layouts.canonical(chain_kind)
        self.discover = discover

    def to_json(self):
        return {"chain_id": self.chain_id,
                "checkpoint": {"height": self.checkpoint_height,
                               "hash": self.checkpoint_hash.hex().upper()},
                "central": self.central, "peers": list(self.peers),
                "device_uuid": self.device_uuid, "owner_pubkey": self.owner_pubkey.hex(),
                "state_dir": self.state_dir, "trusting_period_s": self.trusting_period_s,
                "trust_level": list(self.trust_level), "witnesses": self.witnesses,
                "ws_k": self.ws_k, "hedge_delay_s": self.hedge_delay_s,
                "request_timeout_s": self.request_timeout_s, "lan": self.lan,
                "max_blocks": self.max_blocks, "check_unbonding": self.check_unbonding,
                "chain_kind": self.chain_kind, "discover": self.discover}

    def save(self, path):
        d = os.path.dirname(os.path.abspath(path))
        os.makedirs(d, exist_ok=True)
        write_atomic(path, json.dumps(self.to_json(), indent=1, sort_keys=True).encode())

    @classmethod
    def from_json(cls, d, base_dir="."):
        if not isinstance(d, dict):
            raise ConfigError("config_shape", "config must be a JSON object")
        v = dict(DEFAULTS)
        v.update(d)
        v["chain_kind"] = record_layouts.canonical(v["chain_kind"])

        def need(cond, field, msg):
            if not cond:
                raise ConfigError("config_field", msg, field=field)

        need(isinstance(v.get("chain_id"), str) and 0 < len(v["chain_id"]) <= 50, "chain_id",
             "chain_id must be a non-empty string")
        cp = v.get("checkpoint")
        need(isinstance(cp, dict), "checkpoint", "checkpoint must be an object")
        need(isinstance(cp.get("height"), int) and cp["height"] > 0, "checkpoint.height",
             "checkpoint height must be a positive integer")
        try:
            h = bytes.fromhex(cp.get("hash", ""))
        except (ValueError, TypeError):
            h = b""
        need(len(h) == 32, "checkpoint.hash", "checkpoint hash must be 32 bytes of hex")
        need(isinstance(v.get("state_dir"), str) and v["state_dir"], "state_dir",
             "state_dir must be a path")
        need(isinstance(v["central"], str), "central", "central must be a URL string")
        need(isinstance(v["peers"], list) and all(isinstance(p, str) for p in v["peers"]),
             "peers", "peers must be a list of URLs")
        need(v["central"] or v["peers"], "central", "need a central URL or peers")
        for field, urls in (("central", [v["central"]] if v["central"] else []),
                            ("peers", v["peers"])):
            for u in urls:
                try:
                    RpcClient(u)
                except SourceError:
                    need(False, field, "not an http(s)://host[:port] URL: %s" % u[:100])
        need(v["chain_kind"] in record_layouts.KINDS, "chain_kind",
             "chain_kind must be one of " + ", ".join(record_layouts.KINDS))
        uuid = v.get("device_uuid")
        if uuid is not None:
            try:
                record_layouts.layout(v["chain_kind"]).key(uuid)
            except LightClientError:
                need(False, "device_uuid", "device uuid is not valid" +
                     (" (on a cosmos-sdk chain: the device's mycroft1... account address)"
                      if v["chain_kind"] == record_layouts.COSMOS_SDK else ""))
        try:
            owner = bytes.fromhex(v["owner_pubkey"] or "")
        except (ValueError, TypeError):
            owner = None
        need(owner is not None and len(owner) in (0, 32), "owner_pubkey",
             "owner_pubkey must be 32 bytes of hex (or empty)")
        tl = v["trust_level"]
        need(isinstance(tl, list) and len(tl) == 2 and all(isinstance(x, int) for x in tl)
             and tl[1] > 0 and 3 * tl[0] >= tl[1] and tl[0] <= tl[1], "trust_level",
             "trust_level must be [num, den] within [1/3, 1]")
        for f in ("trusting_period_s", "hedge_delay_s", "request_timeout_s"):
            need(isinstance(v[f], (int, float)) and not isinstance(v[f], bool) and v[f] > 0, f,
                 f + " must be positive")
        for f in ("check_unbonding", "discover"):
            need(isinstance(v[f], bool), f, f + " must be true or false")
        for f in ("witnesses", "ws_k", "max_blocks"):
            need(isinstance(v[f], int) and v[f] >= 1 and v[f] <= 1000, f, f + " must be >= 1")
        state_dir = v["state_dir"]
        if not os.path.isabs(state_dir):
            state_dir = os.path.join(base_dir, state_dir)
        return cls(v["chain_id"], cp["height"], h, state_dir, v["central"], v["peers"], uuid,
                   owner, v["trusting_period_s"], tl, v["witnesses"], v["ws_k"],
                   v["hedge_delay_s"], v["request_timeout_s"], bool(v["lan"]), v["max_blocks"],
                   v["check_unbonding"], v["chain_kind"], v["discover"])

    @classmethod
    def load(cls, path):
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_CONFIG + 1)
        except OSError as e:
            raise ConfigError("config_missing", "cannot read the config: %s" % e, path=path)
        return cls.from_json(_json(data, "config"), os.path.dirname(os.path.abspath(path)))


def from_scenarionet(scenarionet_dir, state_dir, device_uuid=None, owner_pubkey=None,
                     checkpoint=None):
    """A Config for a device of the scenario network in `scenarionet_dir` (its scenarionet.json:
    chain id, central and peer URLs, a checkpoint and the provisioned device). `checkpoint`
    overrides the file's."""
    path = os.path.join(scenarionet_dir, "scenarionet.json")
    try:
        with open(path, "rb") as f:
            d = _json(f.read(MAX_CONFIG + 1), "scenarionet.json")
    except OSError as e:
        raise ConfigError("scenarionet_missing", "cannot read scenarionet.json: %s" % e, path=path)
    cp = checkpoint or d.get("checkpoint") or {}
    dev = d.get("device") or {}
    if device_uuid is None:
        device_uuid = dev.get("uuid") or (d.get("devices") or [{}])[0].get("uuid")
    owner = owner_pubkey if owner_pubkey is not None else dev.get("owner_pubkey", "")
    if isinstance(owner, (bytes, bytearray)):
        owner = owner.hex()
    central = d.get("central_url") or d.get("central") or ""
    peers = d.get("peer_urls") or d.get("peers") or []
    doc = {"chain_id": d.get("chain_id"), "checkpoint": {"height": cp.get("height"),
                                                         "hash": cp.get("hash")},
           "central": central, "peers": peers, "device_uuid": device_uuid,
           "owner_pubkey": owner or "", "state_dir": state_dir}
    return Config.from_json(doc)


def localchain_info(chain_dir):
    """(network.json, the genesis unbonding time in seconds) of the local chain in chain_dir."""
    path = os.path.join(chain_dir, "network.json")
    try:
        with open(path, "rb") as f:
            net = _json(f.read(MAX_CONFIG + 1), "network.json")
        with open(os.path.join(net["nodes"][0]["home"], "config", "genesis.json"), "rb") as f:
            unbonding = json.loads(f.read())["app_state"]["staking"]["params"]["unbonding_time"]
        return net, int(unbonding.rstrip("s"))
    except (OSError, KeyError, IndexError, TypeError, ValueError) as e:
        raise ConfigError("chain_missing", "cannot read the chain's network.json and genesis: "
                          "%s" % str(e)[:120], path=path)


def trusting_period_of(unbonding_s):
    """A local chain device's trusting period: two thirds of the unbonding time."""
    return unbonding_s * 2 // 3


def from_localchain(chain_dir, state_dir, device_address, checkpoint, central="full0",
                    relays=True):
    """A Config for a device of the real local chain in `chain_dir` (its network.json and
    genesis): chain_kind cosmos-sdk, the device named by its account address, the trusting
    period two thirds of the genesis unbonding time and held against the proven one
    (check_unbonding). Sources are the relays `chain up` runs in front of the nodes (relays=True,
    so relay faults reach the device) or the nodes' own RPC; `central` names the node whose
    source is the central API, the others are peers. checkpoint: {"height", "hash" (hex)}, the
    anchor the owner trusts."""
    net, unbonding_s = localchain_info(chain_dir)
    nodes = net["nodes"]
    url = "relay" if relays else "rpc"
    names = [n["name"] for n in nodes]
    if central not in names:
        raise ConfigError("config_field", "no such node", field="central", node=central)
    doc = {"chain_id": net.get("chain_id"), "chain_kind": record_layouts.COSMOS_SDK,
           "checkpoint": {"height": checkpoint.get("height"), "hash": checkpoint.get("hash")},
           "central": nodes[names.index(central)][url],
           "peers": [n[url] for n in nodes if n["name"] != central],
           "device_uuid": device_address, "state_dir": state_dir,
           "trusting_period_s": trusting_period_of(unbonding_s), "check_unbonding": True}
    return Config.from_json(doc)
