# A third-party SMP client (PyPI smpclient, asyncio, its own serial transport and framing) manages
# the emulated board: mcumgr parameters on connect, echo, OS/application info, an unsupported
# command answered with an SMP error it understands, and a large echo split over many lines.
import asyncio

import pytest
from smp import error as smperr
from smpclient import SMPClient
from smpclient.generics import error, success
from smpclient.requests.os_management import (DateTimeRead, EchoWrite, MCUMgrParametersRead,
                                              OSApplicationInfoRead)
from smpclient.transport.serial import SMPSerialTransport

from lightclient.hwtest.emulator import EmulatedBoard


@pytest.fixture(scope="module")
def board():
    with EmulatedBoard("esp32c3-devkitm") as b:
        yield b


async def _session(port):
    out = {}
    async with SMPClient(SMPSerialTransport(), port, timeout_s=10) as client:
        out["params"] = await client.request(MCUMgrParametersRead())
        out["echo"] = await client.request(EchoWrite(d="hello from smpclient"))
        out["long_echo"] = await client.request(EchoWrite(d="y" * 250))
        out["info"] = await client.request(OSApplicationInfoRead(format="a"))
        out["info_default"] = await client.request(OSApplicationInfoRead())
        out["unsupported"] = await client.request(DateTimeRead())
    return out


def test_smpclient_echo_info_and_errors(board):
    r = asyncio.run(asyncio.wait_for(_session(board.port), 60))
    assert success(r["params"]) and r["params"].buf_size == 16384
    assert success(r["echo"]) and r["echo"].r == "hello from smpclient"
    assert success(r["long_echo"]) and r["long_echo"].r == "y" * 250
    assert success(r["info"])
    assert "MicroPython" in r["info"].output and "esp32c3-devkitm" in r["info"].output
    assert success(r["info_default"]) and r["info_default"].output == "MicroPython"
    assert error(r["unsupported"])
    assert r["unsupported"].rc == smperr.MGMT_ERR.ENOTSUP
