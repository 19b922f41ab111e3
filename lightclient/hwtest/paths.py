"""Where the project's data lives, in a checkout and in an installed wheel.

`board/` (the board definitions) and `firmware/` (the chip's entry points and freeze manifest)
are kept once, at the top of the repository, as the project's layout says. The wheel carries
copies made at build time under `lightclient/_data/` (setup.py maps them as package data), so
an installed `mycroft-lc board ...` finds them without a checkout. `lightclient/_data/` never
exists in a checkout: when it exists, this is an installed package and it wins.
"""

from pathlib import Path

# The directory holding the `lightclient` package: the checkout, or site-packages.
ROOT = Path(__file__).resolve().parents[2]
INSTALLED_DATA = "lightclient/_data"


def data_dir(name, root=ROOT):
    """`board` or `firmware` under `root`: the installed copy when there is one, else the
    checkout's own folder."""
    installed = Path(root) / INSTALLED_DATA / name
    return installed if installed.is_dir() else Path(root) / name


def board_dir(root=ROOT):
    return data_dir("board", root)


def firmware_dir(root=ROOT):
    return data_dir("firmware", root)
