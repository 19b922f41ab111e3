"""The device commands (provision, boot, status, settings, recover, keys) as a user runs them,
with their exit statuses; config.py's strict validation."""
import json
import os
import stat
import time

import pytest

from lightclient import audit, cli, commands
from lightclient.config import Config, ConfigError, from_scenarionet
from tests.client.fakenode import FakeChain


def run(argv, capsys):
    code = commands.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def write_scenarionet(tmp_path, net):
    d = tmp_path / "dn"
    d.mkdir()
    (d / "scenarionet.json").write_text(json.dumps({
        "chain_id": net.data.chain_id, "central_url": net.central.url,
        "peer_urls": [n.url for n in net.nodes[1:]], "block_interval_s": 5.0,
        "checkpoint": {"height": 1, "hash": net.data.header_hash(1).hex().upper()}}))
    return str(d)


def test_the_exit_statuses_are_the_cli_table():
    assert (commands.EXIT_OK, commands.EXIT_UNAVAILABLE, commands.EXIT_HALTED,
            commands.EXIT_NO_RECORD) == (cli.EXIT_OK, cli.EXIT_UNAVAILABLE, cli.EXIT_HALTED,
                                         cli.EXIT_NO_RECORD)
    assert (audit.EXIT_OK, audit.EXIT_INVALID) == (cli.EXIT_OK, cli.EXIT_INVALID)
    codes = [cli.EXIT_OK, cli.EXIT_INVALID, cli.EXIT_USAGE, cli.EXIT_UNAVAILABLE, cli.EXIT_LOCAL,
             cli.EXIT_HALTED, cli.EXIT_NO_RECORD, cli.EXIT_INTERRUPTED, cli.EXIT_BROKEN_PIPE]
    assert len(set(codes)) == len(codes)     # each code means one thing


def test_provision_from_scenarionet_then_boot_status_settings(make_net, chain40, tmp_path, capsys):
    net = make_net(chain40)
    cfg_path = str(tmp_path / "cfg.json")
    dn = write_scenarionet(tmp_path, net)
    code, out, _ = run(["provision", "--config", cfg_path, "--scenarionet", dn, "--uuid", "dev-1",
                        "--state-dir", str(tmp_path / "st"), "--json"], capsys)
    assert code == 0 and json.loads(out)["device_uuid"] == "dev-1"
    code, out, _ = run(["boot", "--config", cfg_path, "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["ok"] and not doc["stale"] and doc["exit"] == 0
    assert doc["record"]["record"]["setting"]["lang"] == "en-us"
    code, out, _ = run(["settings", "--config", cfg_path, "--json"], capsys)
    assert code == 0 and json.loads(out)["record"]["uuid"] == "dev-1"
    code, out, _ = run(["status", "--config", cfg_path, "--json"], capsys)
    st = json.loads(out)
    assert code == 0 and st["trusted_height"] == 40 and len(st["sources"]) == 3
    # which implementation checks signatures: the Pi's native libraries (both installed here)
    assert st["crypto_backend"] == "host:openssl-ed25519+libsecp256k1+openssl-x25519-aead"
    for n in net.nodes:
        n.set_mode("down")
    code, out, _ = run(["boot", "--config", cfg_path], capsys)
    assert code == 0 and "stale" in out.lower() and "lang" in out


def test_boot_names_its_sources_and_status_is_for_people(make_net, chain40, tmp_path, capsys):
    net = make_net(chain40)
    cfg_path = str(tmp_path / "cfg.json")
    net.cfg.save(cfg_path)
    code, out, _ = run(["boot", "--config", cfg_path], capsys)
    assert code == 0 and out.startswith("verified settings at height 40")
    assert "light blocks from http://127.0.0.1:" in out
    assert "witness cross-check: agreed" in out
    net.nodes[2].set_mode("garbage")        # one source fails: status shows it
    run(["boot", "--config", cfg_path], capsys)
    code, out, _ = run(["status", "--config", cfg_path], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "chain fake-chain, device dev-1"
    assert lines[1].startswith("trusted   height 40, header ") and " old, expires in 13 d" in lines[1]
    assert "halted    no" in lines
    assert lines[2].startswith("agreed    unknown")           # nothing synced in this run
    code, out, _ = run(["status", "--config", cfg_path, "--refresh"], capsys)
    assert code == 0 and "agreed    " in out
    header = lines.index("sources") + 1
    assert lines[header].split() == ["SOURCE", "KIND", "SCORE", "STATE", "WHY"]
    rows = lines[header + 1:]
    assert len(rows) == 3 and all(r.split()[0].startswith("http://127.0.0.1:") for r in rows)


def test_sync_progress_on_stderr_when_asked(make_net, chain40, tmp_path, capsys):
    net = make_net(chain40)
    cfg_path = str(tmp_path / "cfg.json")
    net.cfg.save(cfg_path)
    code, out, err = run(["boot", "--config", cfg_path, "--progress"], capsys)
    assert code == 0 and "syncing: " in err and "target 40" in err
    assert "syncing" not in out                        # stdout stays the report
    net2 = make_net(chain40)
    net2.cfg.save(cfg_path)
    code, _, err = run(["boot", "--config", cfg_path], capsys)   # stderr is no terminal here
    assert code == 0 and err == ""


@pytest.mark.parametrize("seconds,text", [
    (0, "0 s"), (42.9, "42 s"), (60, "1 min"), (3 * 3600 + 12 * 60 + 5, "3 h 12 min"),
    (7200, "2 h"), (86400 * 13 + 3600 * 20, "13 d 20 h"), (-90, "-1 min"), (None, "-")])
def test_durations_for_people(seconds, text):
    assert commands.duration(seconds) == text


def test_state_dir_is_stored_absolute(tmp_path, capsys, monkeypatch, make_net, chain40):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(["provision", "--config", "c.json", "--chain-id", "c-1",
                      "--checkpoint-height", "5", "--checkpoint-hash", "AB" * 32,
                      "--central", "http://127.0.0.1:1", "--uuid", "d-1",
                      "--state-dir", "rel/state"], capsys)
    assert code == 0
    assert json.loads((tmp_path / "c.json").read_text())["state_dir"] == \
        str(tmp_path / "rel" / "state")
    dn = write_scenarionet(tmp_path, make_net(chain40))
    code, _, _ = run(["provision", "--config", "d.json", "--scenarionet", os.path.relpath(dn)], capsys)
    assert code == 0
    assert json.loads((tmp_path / "d.json").read_text())["state_dir"] == \
        os.path.join(dn, "device")


def test_provision_from_flags(tmp_path, capsys):
    cfg_path = str(tmp_path / "c.json")
    code, _, _ = run(["provision", "--config", cfg_path, "--chain-id", "c-1",
                      "--checkpoint-height", "5", "--checkpoint-hash", "AB" * 32,
                      "--central", "http://127.0.0.1:1", "--peer", "http://127.0.0.1:2",
                      "--uuid", "d-1"], capsys)
    assert code == 0
    cfg = Config.load(cfg_path)
    assert cfg.chain_id == "c-1" and cfg.checkpoint_hash == b"\xab" * 32
    assert cfg.peers == ["http://127.0.0.1:2"] and cfg.hedge_delay_s == 0.25
    code, _, err = run(["provision", "--config", cfg_path, "--chain-id", "c-1"], capsys)
    assert code == cli.EXIT_USAGE and "--checkpoint-height, --checkpoint-hash" in err


def test_no_verified_data_is_unavailable(tmp_path, capsys):
    cfg_path = str(tmp_path / "c.json")
    run(["provision", "--config", cfg_path, "--chain-id", "c-1", "--checkpoint-height", "5",
         "--checkpoint-hash", "AB" * 32, "--central", "http://127.0.0.1:1", "--uuid", "d-1"],
        capsys)
    code, out, _ = run(["boot", "--config", cfg_path, "--json", "--deadline", "1"], capsys)
    assert code == cli.EXIT_UNAVAILABLE and json.loads(out)["ok"] is False
    code, out, err = run(["settings", "--config", cfg_path, "--json", "--deadline", "1"], capsys)
    assert code == cli.EXIT_UNAVAILABLE
    assert json.loads(out)["error"]["check"] == "no_verified_data"
    assert err.startswith("mycroft-lc: no_verified_data") and len(err.splitlines()) == 1


def test_a_device_without_a_record_on_chain_is_not_verified(make_net, chain40, tmp_path, capsys):
    net = make_net(chain40)
    net.cfg.device_uuid = "not-on-chain"
    cfg_path = str(tmp_path / "c.json")
    net.cfg.save(cfg_path)
    code, out, _ = run(["boot", "--config", cfg_path], capsys)
    assert code == cli.EXIT_NO_RECORD
    assert "verified" not in out
    assert out.startswith("NO RECORD ON CHAIN for this device")
    assert "NO RECORD: the chain has no record for device not-on-chain" in out
    assert "not provisioned on this chain, or this is the wrong chain" in out
    code, out, _ = run(["boot", "--config", cfg_path, "--json"], capsys)
    assert code == cli.EXIT_NO_RECORD and json.loads(out)["record"]["record"] is None
    code, _, _ = run(["settings", "--config", cfg_path], capsys)
    assert code == cli.EXIT_NO_RECORD


@pytest.fixture(scope="module")
def fork_pair():
    t = time.time_ns()
    return FakeChain(n_blocks=40, head_time_ns=t), FakeChain(n_blocks=40, head_time_ns=t,
                                                             diverge_at=25)


def _halted(make_net, fork_pair, tmp_path, capsys, **cfg):
    """A device whose central API served a validly signed fork: halted (exit 5)."""
    honest, forked = fork_pair
    net = make_net(honest, n=3, checkpoint=20, **cfg)
    net.central.data = forked
    cfg_path = str(tmp_path / "c.json")
    net.cfg.save(cfg_path)
    code, out, _ = run(["boot", "--config", cfg_path], capsys)
    assert code == cli.EXIT_HALTED and "HALTED: light-client attack detected" in out
    assert "mycroft-lc recover" in out
    code, out, _ = run(["status", "--config", cfg_path], capsys)
    assert code == cli.EXIT_HALTED and "halted    YES" in out
    code, _, _ = run(["boot", "--config", cfg_path], capsys)
    assert code == cli.EXIT_HALTED           # it stays halted: no way round but recovery
    return net, cfg_path


def test_from_a_halt_to_a_verified_boot_by_k_of_n(make_net, fork_pair, tmp_path, capsys):
    net, cfg_path = _halted(make_net, fork_pair, tmp_path, capsys)
    code, out, _ = run(["recover", "--config", cfg_path, "--k-of-n", "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["by"] == "k_of_n" and doc["height"] == 40
    assert doc["hash"] == fork_pair[0].header_hash(40).hex().upper()   # the honest chain
    assert doc["cleared_halt"]["conflict_height"] == 40
    # the fork is still served by the central API: its proofs fail, the peers answer
    code, out, _ = run(["boot", "--config", cfg_path, "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["ok"] and not doc["stale"] and doc["halted"] is None
    assert doc["record"]["record"]["setting"]["lang"] == "en-us"
    assert doc["record"]["header_hash"] == fork_pair[0].header_hash(40).hex().upper()


def test_from_a_halt_to_a_verified_boot_by_the_owner(make_net, fork_pair, tmp_path, capsys):
    key = str(tmp_path / "owner.key")
    code, out, _ = run(["keys", "new", key, "--json"], capsys)
    assert code == 0
    owner_pub = bytes.fromhex(json.loads(out)["public_key"])
    net, cfg_path = _halted(make_net, fork_pair, tmp_path, capsys, owner_pubkey=owner_pub)
    honest = fork_pair[0]
    cp = str(tmp_path / "cp.json")
    code, _, _ = run(["keys", "sign-checkpoint", key, "--chain-id", honest.chain_id,
                      "--height", "38", "--hash", honest.header_hash(38).hex(), "--out", cp],
                     capsys)
    assert code == 0
    # another owner's signature is refused, and the device stays halted
    other = str(tmp_path / "other.key")
    run(["keys", "new", other], capsys)
    forged = str(tmp_path / "forged.json")
    run(["keys", "sign-checkpoint", other, "--chain-id", honest.chain_id, "--height", "38",
         "--hash", honest.header_hash(38).hex(), "--out", forged], capsys)
    code, _, err = run(["recover", "--config", cfg_path, "--checkpoint", forged], capsys)
    assert code == cli.EXIT_INVALID and "checkpoint_signature" in err
    assert run(["boot", "--config", cfg_path], capsys)[0] == cli.EXIT_HALTED
    code, out, _ = run(["recover", "--config", cfg_path, "--checkpoint", cp], capsys)
    assert code == 0 and "new trust anchor: height 38" in out and "halt cleared" in out
    code, out, _ = run(["boot", "--config", cfg_path, "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["ok"] and not doc["stale"], doc["error"]
    assert doc["record"]["record"]["setting"]["lang"] == "en-us"


def test_keys_new_writes_0600_prints_no_secret_and_never_overwrites(tmp_path, capsys):
    key = str(tmp_path / "k")
    code, out, _ = run(["keys", "new", key], capsys)
    assert code == 0
    seed = open(key).read().strip()
    assert len(bytes.fromhex(seed)) == 32 and seed not in out
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    pub = out.split("public key ")[1].strip()
    assert run(["keys", "show", key], capsys)[1].strip() == "public key " + pub
    code, out, _ = run(["keys", "show", key, "--secret"], capsys)
    assert seed in out
    code, _, err = run(["keys", "new", key], capsys)
    assert code == cli.EXIT_LOCAL and "refusing to overwrite" in err
    assert open(key).read().strip() == seed
    assert [p for p in os.listdir(tmp_path)] == ["k"]       # no temporary file left behind


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


def test_bad_config_file_is_a_local_fault(tmp_path, capsys):
    p = tmp_path / "c.json"
    p.write_text("{not json")
    code, out, err = run(["status", "--config", str(p), "--json"], capsys)
    assert code == cli.EXIT_LOCAL and json.loads(out)["error"]["check"] == "config_json"
    assert err.startswith("mycroft-lc: config_json: config is not valid JSON")


def test_from_scenarionet_needs_the_file(tmp_path):
    with pytest.raises(ConfigError):
        from_scenarionet(str(tmp_path), str(tmp_path / "s"))
