"""The scenario network the socket tests share (one per session: starting it takes a few seconds)."""

import pytest

from lightclient.scenarionet.launcher import ScenarioNet


@pytest.fixture(scope="session")
def net(tmp_path_factory):
    d = tmp_path_factory.mktemp("scenarionet")
    # 1 s blocks, a day and a bit of history with 30 % churn: validator-set changes happen.
    with ScenarioNet(str(d), validators=7, peers=4, history_blocks=90000, block_interval_s=1,
                     churn_per_day=0.3) as n:
        yield n
