"""commands.py and config.py: provision, boot, status, settings with --json; strict config."""
import json

import pytest

from lightclient import commands
from lightclient.config import Config, ConfigError, from_devnet


def run(argv, capsys):
    code = commands.main(argv)
    out = capsys.readouterr().out
    return code, out


def write_devnet(tmp_path, net):
    d = tmp_path / "dn"
    d.mkdir()
    (d / "devnet.json").write_text(json.dumps({
        "chain_id": net.data.chain_id, "central_url": net.central.url,
        "peer_urls": [n.url for n in net.nodes[1:]], "block_interval_s": 5.0,
        "checkpoint": {"height": 1, "hash": net.data.header_hash(1).hex().upper()}}))
    return str(d)


def test_provision_from_devnet_then_boot_status_settings(make_net, chain40, tmp_path, capsys):
    net = make_net(chain40)
    cfg_path = str(tmp_path / "cfg.json")
    dn = write_devnet(tmp_path, net)
    code, out = run(["provision", "--config", cfg_path, "--devnet", dn, "--uuid", "dev-1",
                     "--state-dir", str(tmp_path / "st"), "--json"], capsys)
    assert code == 0 and json.loads(out)["device_uuid"] == "dev-1"
    code, out = run(["boot", "--config", cfg_path, "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["ok"] and not doc["stale"]
    assert doc["record"]["record"]["setting"]["lang"] == "en-us"
    code, out = run(["settings", "--config", cfg_path, "--json"], capsys)
    assert code == 0 and json.loads(out)["record"]["uuid"] == "dev-1"
    code, out = run(["status", "--config", cfg_path, "--json"], capsys)
    st = json.loads(out)
    assert code == 0 and st["trusted_height"] == 40 and len(st["sources"]) == 3
    # which implementation checks signatures: the Pi's native libraries (both installed here)
    assert st["crypto_backend"] == "host:openssl-ed25519+libsecp256k1"
    for n in net.nodes:
        n.set_mode("down")
    code, out = run(["boot", "--config", cfg_path], capsys)
    assert code == 0 and "stale" in out and "lang" in out


def test_provision_from_flags(tmp_path, capsys):
    cfg_path = str(tmp_path / "c.json")
    code, out = run(["provision", "--config", cfg_path, "--chain-id", "c-1",
                     "--checkpoint-height", "5", "--checkpoint-hash", "AB" * 32,
                     "--central", "http://127.0.0.1:1", "--peer", "http://127.0.0.1:2",
                     "--uuid", "d-1"], capsys)
    assert code == 0
    cfg = Config.load(cfg_path)
    assert cfg.chain_id == "c-1" and cfg.checkpoint_hash == b"\xab" * 32
    assert cfg.peers == ["http://127.0.0.1:2"] and cfg.hedge_delay_s == 0.25


def test_no_verified_data_exits_1(tmp_path, capsys):
    cfg_path = str(tmp_path / "c.json")
    run(["provision", "--config", cfg_path, "--chain-id", "c-1", "--checkpoint-height", "5",
         "--checkpoint-hash", "AB" * 32, "--central", "http://127.0.0.1:1", "--uuid", "d-1"],
        capsys)
    code, out = run(["boot", "--config", cfg_path, "--json", "--deadline", "1"], capsys)
    assert code == 1 and json.loads(out)["ok"] is False
    code, out = run(["settings", "--config", cfg_path, "--json", "--deadline", "1"], capsys)
    assert code == 1 and json.loads(out)["error"]["check"] == "no_verified_data"


@pytest.mark.parametrize("patch,field", [
    ({"chain_id": ""}, "chain_id"),
    ({"checkpoint": {"height": 0, "hash": "00" * 32}}, "checkpoint.height"),
    ({"checkpoint": {"height": 1, "hash": "00"}}, "checkpoint.hash"),
    ({"trust_level": [1, 4]}, "trust_level"),
    ({"device_uuid": "bad uuid!"}, "device_uuid"),
    ({"owner_pubkey": "zz"}, "owner_pubkey"),
    ({"central": "", "peers": []}, "central"),
    ({"request_timeout_s": 0}, "request_timeout_s"),
    ({"central": "http://x:99999"}, "central"),     # escaped as ValueError from LightClient()
    ({"central": "", "peers": ["node:26657"]}, "peers"),  # a SourceError, past _guarded
])
def test_config_is_validated(patch, field):
    base = {"chain_id": "c", "checkpoint": {"height": 1, "hash": "00" * 32},
            "central": "http://x:1", "state_dir": "/tmp/x"}
    base.update(patch)
    with pytest.raises(ConfigError) as e:
        Config.from_json(base)
    assert e.value.details["field"] == field


def test_bad_config_file_exits_1(tmp_path, capsys):
    p = tmp_path / "c.json"
    p.write_text("{not json")
    code, out = run(["status", "--config", str(p), "--json"], capsys)
    assert code == 1 and json.loads(out)["error"]["check"] == "config_json"


def test_from_devnet_needs_the_file(tmp_path):
    with pytest.raises(ConfigError):
        from_devnet(str(tmp_path), str(tmp_path / "s"))
