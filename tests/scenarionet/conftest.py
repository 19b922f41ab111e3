"""The scenario network the socket tests share (one per session: starting it takes a few seconds)."""

import pytest

from lightclient.chip.crypto import ed25519
from lightclient.scenarionet.app import device_fixture, settings_fixture
from lightclient.scenarionet.launcher import ScenarioNet
from scenarionet_helpers import TEST_DEVICE


@pytest.fixture(scope="session")
def net(tmp_path_factory):
    d = tmp_path_factory.mktemp("scenarionet")
    # 1 s blocks, a day and a bit of history with 30 % churn: validator-set changes happen.
    uuid, registered, changed = TEST_DEVICE
    devices = [device_fixture(uuid, ed25519.public_key(b"\x12" * 32),
                              ed25519.public_key(b"\x11" * 32), height=registered,
                              setting={"lang": "fr-fr"}),
               settings_fixture(uuid, changed, lang="es-es", system_unit="metric")]
    with ScenarioNet(str(d), validators=7, peers=4, history_blocks=90000, block_interval_s=1,
                     churn_per_day=0.3, devices=devices) as n:
        yield n
