"""PlatformIO extra script (platformio.ini: extra_scripts = post:lightclient/hwtest/pio_extra.py):
the board's upload and filesystem targets run the same tester tools as the command line, so a
PlatformIO user gets byte-for-byte the same images and the same checks.

    pio run -e esp32-devkitc -t mycroft_image      # = mycroft-lc board image build
    pio run -e esp32-devkitc -t mycroft_flash      # = image build + mycroft-lc board flash
    pio run -e esp32-devkitc -t upload / uploadfs  # the same two commands (UPLOADCMD)

The tools run in the project's own Python (custom_python, default .venv/bin/python), not in
PlatformIO's, which lacks the project's packages.
"""

import os
import shlex

Import("env")  # noqa: F821 (SCons injects Import)


def _opt(name, default=""):
    return env.GetProjectOption(name, default)  # noqa: F821


def commands(project_dir, board, firmware, bootloader, python, port="$UPLOAD_PORT",
             speed="$UPLOAD_SPEED"):
    """(image build command, flash command) as argument lists."""
    build_dir = os.path.join(project_dir, "build", board)
    image = [python, "-m", "lightclient.hwtest.cli", "image", "build", "--board", board,
             "--firmware", firmware, "--out", build_dir]
    if bootloader:
        image += ["--bootloader", bootloader]
    flash = [python, "-m", "lightclient.hwtest.cli", "flash", "--build", build_dir, "--port", port,
             "--baud", speed]
    return image, flash


def _setup():
    project = env.subst("$PROJECT_DIR")  # noqa: F821
    board = _opt("custom_mycroft_board")
    python = _opt("custom_python", os.path.join(project, ".venv", "bin", "python"))
    firmware = _opt("custom_micropython_firmware")
    bootloader = _opt("custom_micropython_bootloader")
    image, flash = commands(project, board, firmware, bootloader, python)
    env["ENV"]["PYTHONPATH"] = project  # noqa: F821
    line = " ".join(shlex.quote(a) if not a.startswith("$") else a for a in image)
    fline = " ".join(shlex.quote(a) if not a.startswith("$") else a for a in flash)
    env.AddCustomTarget(  # noqa: F821
        name="mycroft_image", dependencies=None, actions=[line],
        title="Mycroft image", description="littlefs + partition table + merged image")
    env.AddCustomTarget(  # noqa: F821
        name="mycroft_flash", dependencies=None, actions=[line, fline],
        title="Mycroft flash", description="build the images and flash them with esptool")
    # upload and uploadfs (upload_protocol = custom) run the same two commands
    env.Replace(UPLOADCMD=line + " && " + fline)  # noqa: F821


_setup()
