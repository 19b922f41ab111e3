# `make demo` end to end on the real chain (25-70 s: `chain up`, seven `mycroftd` processes,
# the emulated board): the demo checks every claim it prints and exits 1 when the system
# misbehaves, so running it here keeps the first thing a new user runs working.
import json
import os
import re
import shutil

from lightclient import demo


def test_demo_tells_the_whole_story_on_the_real_chain(capsys):
    assert demo.main([]) == 0
    out = capsys.readouterr().out
    for line in ("1. Start the chain: `mycroft-lc chain up`",
                 "32-bit, 96 KiB heap", "transaction registered mycroft1", "the chip verified it too",
                 "the owner paired the chip with the code from its label",
                 "settings sealed by the owner (version 1, key epoch 0), opened on the chip",
                 "boot (central node stopped)", "BANNED full1",
                 "LIGHT-CLIENT ATTACK DETECTED", "which accepted it",
                 "the evidence was committed in block", "jailed, tombstoned",
                 "boot (still halted)", "7. The way back: the owner signs a checkpoint",
                 "halt cleared", "boot (after the recovery)", "the chip follows",
                 "STALE, from the cache",
                 "the chip still holds its x/devices record, verified by itself",
                 "chain and board stopped"):
        assert line in out, line
    assert "DEMO FAILED" not in out
    # the ban's reason is the forged signature
    assert re.search(r"BANNED full1 \(\S+\): invalid_signature", out)
    # the settings the owner sealed are what every boot proved and the chip opened
    assert out.count('lang         "en-us"') >= 6
    # the evidence file it names outlives the demo's temporary work directory
    path = re.search(r"   evidence (\S+)", out).group(1)
    try:
        doc = json.load(open(path))
        assert doc["against_primary"]["type"] == "tendermint/LightClientAttackEvidence"
    finally:
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)
    m = re.search(r"(\d+) of the (\d+) validators of the common height signed the fork", out)
    assert m and 3 * int(m.group(1)) > int(m.group(2)) > int(m.group(1))
    assert len(doc["against_primary"]["value"]["ByzantineValidators"]) == int(m.group(1))
    assert out.count("jailed, tombstoned") == int(m.group(1))
