"""An ESP32 devkit as the Pi meets it over a USB-serial bridge with DTR/RTS wired to EN/IO0 (the
devkits' auto-reset circuit), for esptool's automatic reset: an RFC 2217 server (pyserial's
PortManager, so esptool and pyserial speak to it as to a networked serial port, modem lines
included) in front of hw_fake_rom's ROM loader.

The circuit (two transistors): EN is pulled low while RTS is asserted and DTR is not; IO0 while
DTR is asserted and RTS is not. EN's RC delay keeps the chip in reset while both are asserted,
so the chip leaves reset when RTS is released, and the ROM latches IO0 then (esptool's
classic reset: DTR off, RTS on, wait, DTR on, RTS off).

The ROM then does what the ESP32's does:
- IO0 high: it boots the app from flash ("boot:0x13 (SPI_FAST_FLASH_BOOT)") and SLIP is not
  answered;
- IO0 low, download allowed: "boot:0x3 (DOWNLOAD_BOOT(...))", "waiting for download", and the
  serial loader answers (hw_fake_rom.FakeRom);
- IO0 low on a board whose eFuse UART_DOWNLOAD_DIS is burned (read from espefuse's virtual eFuse
  file): the download boot is refused: "Download mode is disabled. Restart with GPIO0 high."
  (what a locked ESP32 prints, espressif/esp-idf#6106), and nothing is answered, so nothing can
  be read or written."""

import os
import socket
import threading

import serial.rfc2217

from lightclient.chip.app import efuse_state
from lightclient.hwtest import release

from hw_fake_rom import FakeRom

BANNER = b"ets Jul 29 2019 12:21:46\r\n\r\nrst:0x1 (POWERON_RESET),"
SPI_BOOT = b"boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
DOWNLOAD_BOOT = b"boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n"


class _Lines:
    """The serial port object PortManager drives: line settings kept, DTR/RTS to the board."""

    baudrate, bytesize, parity, stopbits = 115200, 8, "N", 1
    xonxoff = rtscts = break_condition = False
    cts = dsr = ri = cd = False

    def __init__(self, board):
        self._board, self._dtr, self._rts = board, False, False

    @property
    def dtr(self):
        return self._dtr

    @dtr.setter
    def dtr(self, v):
        self._dtr = bool(v)

    @property
    def rts(self):
        return self._rts

    @rts.setter
    def rts(self, v):
        released = self._rts and not v
        self._rts = bool(v)
        if v and not self._dtr:
            self._board.hold_reset()
        elif released:
            self._board.leave_reset(io0_low=self._dtr)

    def reset_input_buffer(self):
        pass

    def reset_output_buffer(self):
        pass


class _Writer:
    """PortManager writes its telnet answers with .write()."""

    def __init__(self, conn):
        self.conn = conn

    def write(self, data):
        self.conn.sendall(data)


class ResetLineRom(FakeRom):
    """efuse_file: espefuse's virtual eFuses of this chip (None: a blank, open chip). `url`:
    rfc2217://127.0.0.1:PORT for esptool's --port. `boots` lists each boot's mode."""

    def __init__(self, efuse_file=None, **kw):
        FakeRom.__init__(self, **kw)
        self.efuse_file = efuse_file
        self.mode = "app"                # "app" | "download" | "refused"
        self.boots = []
        self.in_reset = False
        self._listen = socket.socket()
        self._listen.bind(("127.0.0.1", 0))
        self._listen.listen(4)
        self.url = "rfc2217://127.0.0.1:%d" % self._listen.getsockname()[1]
        self._conn = None
        self._pm = None
        self._server = threading.Thread(target=self._serve, daemon=True)

    def _download_disabled(self):
        if self.efuse_file is None:
            return False
        read = release.virtual_block0_reader("esp32", self.efuse_file)
        return bool(efuse_state.read_fields("esp32", read)["download_off"])

    # --- the board's pins ---------------------------------------------------------------

    def hold_reset(self):
        self.in_reset = True

    def leave_reset(self, io0_low):
        if not self.in_reset:
            return
        self.in_reset = False
        if not io0_low:
            self.mode = "app"
            self._out(BANNER + SPI_BOOT + b"I (30) boot: ESP-IDF 2nd stage bootloader\r\n")
        elif self._download_disabled():
            self.mode = "refused"
            self._out(BANNER + DOWNLOAD_BOOT
                      + b"Download mode is disabled. Restart with GPIO0 high.\r\n")
        else:
            self.mode = "download"
            self._out(BANNER + DOWNLOAD_BOOT + b"waiting for download\r\n")
        self.boots.append(self.mode)

    # --- the line -----------------------------------------------------------------------

    def _out(self, data):
        if self._conn is not None:
            try:
                self._conn.sendall(b"".join(self._pm.escape(data)) if self._pm else data)
            except OSError:
                pass

    def _handle(self, pkt):
        if self.mode == "download":
            FakeRom._handle(self, pkt)
        elif len(pkt) >= 2:
            self.commands.append(pkt[1])    # heard, never answered

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self._listen.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
            self._pm = serial.rfc2217.PortManager(_Lines(self), _Writer(conn))
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    self._feed(b"".join(self._pm.filter(data)))
            except OSError:
                pass
            finally:
                self._conn, self._pm = None, None
                conn.close()

    def __enter__(self):
        self._server.start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        self._listen.close()
        if self._conn is not None:
            self._conn.close()
        self._server.join(timeout=5)
        os.close(self.master)       # FakeRom's pty, unused here
        os.close(self._slave)
