"""The local CometBFT-0.38-RPC-compatible network (docs/scenario-network.md).

    from lightclient.scenarionet import ScenarioNet
    with ScenarioNet(directory) as net: ...

Modules: history (the deterministic chain), app (multistore state, transactions, proofs),
device_template (default record sections), rpc (CometBFT requests, JSON shapes, errors, HTTP
plumbing), chain_rpc (the honest methods), evidence (broadcast_evidence checked and kept),
faults + fault_params (the fault modes, one registry) and forks (the chains they serve),
producer and node (the processes), launcher (ScenarioNet), cli (`scenarionet ...` subcommands).
"""

from lightclient.scenarionet.launcher import ScenarioNet, ScenarioNetError, load_info
from lightclient.scenarionet.history import History, Spec

__all__ = ["ScenarioNet", "ScenarioNetError", "load_info", "History", "Spec"]
