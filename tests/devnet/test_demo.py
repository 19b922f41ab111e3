# `make demo` end to end (about 40 s): the demo checks every claim it prints and exits 1 when
# the system misbehaves, so running it here keeps the first thing a new user runs working.
from lightclient import demo


def test_demo_tells_the_whole_story(capsys):
    assert demo.main([]) == 0
    out = capsys.readouterr().out
    for line in ("1. Start the local network", "the chip verified it too",
                 "boot (central API down)", "BANNED peer1",
                 "LIGHT-CLIENT ATTACK DETECTED", "STALE, from the cache",
                 "the chip still holds the settings it verified itself",
                 "network and board stopped"):
        assert line in out, line
    assert "DEMO FAILED" not in out
