"""The fault registry, in process: one list that the node, the CLI's help and validation, and
docs/scenario-network.md's table agree on; parameters parsed into typed values or refused with one
typed line. (The modes over real sockets: test_scenarionet_fault_modes.py.)"""

import os
import re

import pytest

from lightclient.scenarionet import faults
from lightclient.scenarionet.launcher import REPO


def _doc_table():
    """{mode: params column} of docs/scenario-network.md's fault-mode table."""
    with open(os.path.join(REPO, "docs", "scenario-network.md")) as f:
        text = f.read()
    section = text[text.index("## Fault modes"):]
    section = section[:section.index("\n## ", 4)]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `([^`]+)` \|([^|]*)\|", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_the_docs_table_lists_every_mode_and_parameter_of_the_registry():
    rows = _doc_table()
    assert list(rows) == list(faults.FAULTS)
    for mode, cls in faults.FAULTS.items():
        documented = set(re.findall(r"`(\w+)`", rows[mode]))
        declared = {p.name for p in cls.params}
        assert declared <= documented, (mode, declared - documented)


def test_every_mode_has_defaults_that_pass_its_own_checks():
    for mode, cls in faults.FAULTS.items():
        f = faults.build(mode, {}, latest=100)
        assert isinstance(f, cls) and f.name == mode
        assert set(f.values) == {p.name for p in cls.params}


def test_the_help_lists_every_mode_and_parameter():
    text = faults.describe()
    for mode, cls in faults.FAULTS.items():
        assert re.search(r"^  %s " % re.escape(mode), text, re.M), mode
        for p in cls.params:
            assert "%s=<" % p.name in text


@pytest.mark.parametrize("mode, raw, param, reason", [
    ("slow", {"delay": "abc"}, "'delay'", "is not a parameter (valid: delay_s, bytes_per_step, latency_s)"),
    ("slow", {"delay_s": "abc"}, "delay_s", "must be a number in [0, 60], got 'abc'"),
    ("slow", {"delay_s": float("inf")}, "delay_s", "must be a number in [0, 60], got inf"),
    ("slow", {"delay_s": -1}, "delay_s", "must be in [0, 60], got -1"),
    ("forged_signatures", {"count": 1.5}, "count", "must be an integer >= 0, got 1.5"),
    ("future", {"offset_s": "1d"}, "offset_s", "must be an integer"),
    ("oversized", {"size": 0}, "size", "must be in [1, 1099511627776], got 0"),
    ("minority_fork", {"fork_height": 1}, "fork_height", "must be >= 2, got 1"),
    ("minority_fork", {"fork_height": 101}, "fork_height", "must be at most the head 100, got 101"),
    ("lunatic", {"fork_height": 50, "signer_height": 50}, "signer_height",
     "must be below fork_height 50, got 50"),
    ("lunatic", {"uuid": ""}, "uuid", "must be a string of 1-128 characters"),
    ("ok", {"x": 1}, "'x'", "is not a parameter (valid: none)"),
])
def test_a_wrong_parameter_is_one_typed_line(mode, raw, param, reason):
    with pytest.raises(faults.FaultParamError) as e:
        faults.parse_values(mode, raw, latest=100)
    assert e.value.mode == mode and e.value.param == param
    assert str(e.value).startswith("%s: %s " % (mode, param)) and reason in str(e.value)
    assert "\n" not in str(e.value)


def test_an_unknown_mode_names_the_valid_ones():
    for mode in ("teleport", 5, None):
        with pytest.raises(faults.UnknownFault) as e:
            faults.parse_values(mode, {})
        assert str(e.value) == "unknown fault mode %r (valid: %s)" % (
            mode, ", ".join(faults.FAULTS))


def test_without_a_head_only_what_needs_none_is_checked():
    # The CLI checks names and types before asking a node, which fills head-relative defaults.
    assert faults.parse_values("lunatic", {"fork_height": 10**9}) == {
        "fork_height": 10**9, "setting": faults.Lunatic.params[2].default, "uuid": None}
    assert faults.parse_values("stale", {}, latest=50) == {"height": 45}
