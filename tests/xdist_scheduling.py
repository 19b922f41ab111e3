"""How `make test` shares the suite among pytest-xdist workers (`-n 2 --dist loadfile`; hooked in
by tests/conftest.py). A test file goes whole to one worker, so its module fixtures (a scenario
network, a chain, a board) are built once. This adds two things to xdist's loadfile:
- files that share one session fixture form one unit (it is built once, not once per worker);
- the files that take longest are handed out first, so neither worker is left alone with a long
  file at the end (loadfile alone hands out the files with the most tests first)."""
from xdist.scheduler import LoadFileScheduling

# Files that use tests/scenarionet/conftest.py's session scenarionet (7 validators, 90,000 blocks).
SHARED_SCENARIONET = ("tests/scenarionet/test_scenarionet_fault_modes.py",
                      "tests/scenarionet/test_scenarionet_network.py")
# Files that use tests/localchain/conftest.py's session chain `net7` (seven mycroftd processes).
SHARED_NET7 = ("tests/localchain/test_chain_boot.py", "tests/localchain/test_chain_board.py",
               "tests/localchain/test_chain_faults.py",
               "tests/localchain/test_chain_gov.py", "tests/localchain/test_chain_staking.py",
               "tests/localchain/test_chain_releases.py",
               "tests/localchain/test_chain_payments.py", "tests/localchain/test_chain_stt.py",
               "tests/localchain/test_chain_sealed_settings.py",
               "tests/localchain/test_chain_grants.py",
               "tests/localchain/test_chain_device_writes.py",
               "tests/localchain/test_chain_usage.py",
               "tests/localchain/test_chain_rewards.py")
# Files that use tests/localchain/conftest.py's session `attacked_chain` (the attack file first:
# the real clients read the chain after it, as they would in one process).
SHARED_ATTACKED = ("tests/localchain/test_light_client_attack.py",
                   "tests/localchain/test_real_clients.py")
# Files that use tests/localchain/conftest.py's session `chain` (a static 4-validator chain).
SHARED_CHAIN4 = ("tests/localchain/test_chain_api_writes.py",
                 "tests/localchain/test_chain_device.py",
                 "tests/localchain/test_chain_pairing.py")
SHARED = (SHARED_SCENARIONET, SHARED_NET7, SHARED_ATTACKED, SHARED_CHAIN4)

# The longest work units, longest first (`pytest -n 2 --durations=0`, summed per file or shared
# group; a group is named by its first file): the longest processing time first, so the short
# files fill in at the end and neither worker is left alone with a long file (loadfile alone
# hands out the files with the most tests first, so a one-test file such as the testers' guide
# would come last and run alone). A file missing here only starts later; nothing is skipped.
SLOW_FIRST = (
    SHARED_NET7[0],                                 # ~270 s, mostly waiting for blocks
    "tests/mp/test_core_on_micropython.py",
    "tests/journeys/test_testers_guide.py",
    "tests/chip/test_cbor_oracle.py",
    "tests/journeys/test_readme_commands.py",
    SHARED_CHAIN4[0],
    "tests/chip32/test_lccrypto_libfuzzer.py",
    "tests/firmware/test_fw_ota_smpmgr.py",
    "tests/client/test_cli.py",
    "tests/scenarionet/test_scenarionet_directory.py",
    "tests/fuzz/test_fuzz_short.py",
    "tests/chip/store/test_powercut.py",
    "tests/client/test_mcu_bridge.py",
    SHARED_ATTACKED[0],
    "tests/journeys/test_installed_wheel.py",
    "tests/localchain/test_demo.py",
    "tests/hwtest/test_rom_loader_release.py",
    "tests/firmware/test_fw_release_build.py",
    "tests/hwtest/test_flash.py",
    "tests/hwtest/test_flash_mock_bootloader.py",
    "tests/localchain/test_chain_cli.py",
)


class SharedFixtureFileScheduling(LoadFileScheduling):
    def _split_scope(self, nodeid):
        path = nodeid.split("::", 1)[0]
        for group in SHARED:
            if path in group:
                return group[0]
        return path

    def _assign_work_unit(self, node):
        # the first hand-out: the queue is complete, put the slow files at its head
        if not getattr(self, "_slow_first_done", False):
            self._slow_first_done = True
            for path in reversed(SLOW_FIRST):
                if path in self.workqueue:
                    self.workqueue.move_to_end(path, last=False)
        super()._assign_work_unit(node)
