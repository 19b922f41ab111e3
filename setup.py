"""Packaging beyond what pyproject.toml can say: the wheel carries the board definitions and
the chip's entry points as package data under lightclient/_data/, mapped from the top-level
board/ and firmware/ folders (kept once, where the project's layout has them; see
lightclient/hwtest/paths.py for how the tools find either)."""

from setuptools import find_packages, setup

DATA = {"lightclient._data.board": "board", "lightclient._data.firmware": "firmware"}

setup(
    packages=find_packages(include=["lightclient", "lightclient.*"]) + list(DATA),
    package_dir=DATA,
    package_data={
        "lightclient.hwtest": ["*.mjs"],   # the node runners of the emulated board and MicroPython
        "lightclient._data.board": ["*.json", "README.md"],
        "lightclient._data.firmware": ["*.py", "README.md"],
    },
)
