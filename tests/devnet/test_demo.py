# `make demo` end to end (about a minute): the demo checks every claim it prints and exits 1 when
# the system misbehaves, so running it here keeps the first thing a new user runs working.
import json
import os
import re
import shutil

from lightclient import demo


def test_demo_tells_the_whole_story(capsys):
    assert demo.main([]) == 0
    out = capsys.readouterr().out
    for line in ("1. Start the local network", "the chip verified it too",
                 "boot (central API down)", "BANNED peer1",
                 "LIGHT-CLIENT ATTACK DETECTED", "boot (still halted)",
                 "7. The way back: the owner signs a checkpoint",
                 "halt cleared", "boot (after the recovery)", "the chip follows",
                 "STALE, from the cache",
                 "the chip still holds the settings it verified itself",
                 "network and board stopped"):
        assert line in out, line
    assert "DEMO FAILED" not in out
    # the evidence file it names outlives the demo's temporary work directory
    path = re.search(r"   evidence (\S+)", out).group(1)
    try:
        doc = json.load(open(path))
        assert doc["against_primary"]["type"] == "tendermint/LightClientAttackEvidence"
    finally:
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)
    # the byzantine count is out of the common height's validator set, never more
    m = re.search(r"(\d+) of the (\d+) validators of the common height signed the fork", out)
    assert m and 0 < int(m.group(1)) <= int(m.group(2))
    assert len(doc["against_primary"]["value"]["ByzantineValidators"]) == int(m.group(1))
