#!/usr/bin/env node
// The emulated board: the firmware inside real MicroPython 1.27 (WebAssembly port), serving SMP
// on this process's stdin/stdout, which lightclient/hwtest/emulator.py joins to a pseudo-terminal with socat.
//
//   node lightclient/hwtest/emulator_runner.mjs --board board/esp32-devkitc.json [--state FILE] [--repo DIR]
//
// --state FILE: the lcstore partition's flash image (created erased), loaded at start; every
// erase and program the store makes is written to it as it happens, so a restarted emulator keeps
// its store and killing the emulator is a power cut at that point. FILE.secret holds the device
// secret the store key derives from (on a real chip: NVS/eFuse, see docs/smp-link.md),
// FILE.counter the rollback counter (NVS on a chip). Without --state the flash lives in RAM.
// --flash-delay-ms N: each erase/program takes N ms (a slower flash, to land power cuts inside
// a commit in the tests).
// MicroPython's own stdout/stderr go to this process's stderr (the serial line carries only SMP).
// One line "EMULATOR READY <store status>" on stderr when the firmware is up.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const HERE = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = { board: null, state: null, repo: path.resolve(HERE, "..", ".."), heapsize: 2 * 1024 * 1024 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    if (a === "--board") o.board = path.resolve(val());
    else if (a === "--state") o.state = path.resolve(val());
    else if (a === "--repo") o.repo = path.resolve(val());
    else if (a === "--heapsize") o.heapsize = parseInt(val(), 10);
    else if (a === "--flash-delay-ms") o.flashDelayMs = parseFloat(val());
    else {
      process.stderr.write("emulator_runner: unknown argument " + a + "\n");
      process.exit(2);
    }
  }
  if (!o.board) {
    process.stderr.write("emulator_runner: --board FILE is required\n");
    process.exit(2);
  }
  return o;
}

function copyTree(mp, src, dst) {
  mp.FS.mkdirTree(dst);
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    if (e.isDirectory()) {
      if (e.name !== "__pycache__") copyTree(mp, s, dst + "/" + e.name);
    } else if (e.isFile() && e.name.endsWith(".py")) {
      mp.FS.writeFile(dst + "/" + e.name, fs.readFileSync(s));
    }
  }
}

function copyFile(mp, src, dst) {
  mp.FS.mkdirTree(path.posix.dirname(dst));
  mp.FS.writeFile(dst, fs.readFileSync(src));
}

function readSecret(statePath) {
  if (!statePath) return crypto.randomBytes(32);
  const p = statePath + ".secret";
  if (fs.existsSync(p)) {
    const b = fs.readFileSync(p);
    if (b.length === 32) return b;
    throw new Error("device secret file has the wrong length: " + p);
  }
  const b = crypto.randomBytes(32);
  fs.writeFileSync(p, b, { mode: 0o600 });
  return b;
}

function logSink() {
  let buf = [];
  return (u8) => {
    for (const c of u8) {
      buf.push(c);
      if (c === 10 || buf.length > 4096) {
        process.stderr.write(Buffer.from(buf));
        buf = [];
      }
    }
  };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
let flashDelayMs = 0;

async function main() {
  globalThis.emuRandomHex = (n) => crypto.randomBytes(n).toString("hex");
  const o = parseArgs(process.argv.slice(2));
  flashDelayMs = o.flashDelayMs || 0;
  const board = JSON.parse(fs.readFileSync(o.board, "utf8"));
  const mp = await loadMicroPython({
    heapsize: o.heapsize,
    pystack: 64 * 1024,
    linebuffer: false,
    stdout: logSink(),
    stderr: logSink(),
  });
  const repo = o.repo;
  copyFile(mp, path.join(repo, "lightclient", "__init__.py"), "/repo/lightclient/__init__.py");
  copyTree(mp, path.join(repo, "lightclient", "chip"), "/repo/lightclient/chip");
  copyTree(mp, path.join(repo, "firmware"), "/fw");
  mp.FS.mkdirTree("/state");
  const flashPath = "/state/flash.bin";
  const flashSize = board.store.sector_size * board.store.sector_count;
  let flashFd = null;
  if (o.state) {
    if (!fs.existsSync(o.state)) fs.writeFileSync(o.state, Buffer.alloc(flashSize, 0xff));
    if (fs.statSync(o.state).size !== flashSize)
      throw new Error("flash image " + o.state + " is not " + flashSize + " bytes");
    flashFd = fs.openSync(o.state, "r+");
  }
  // Each erase/program reaches the host file as the store issues it (no fsync: the page cache
  // survives the emulator being killed, which is the power cut being simulated).
  globalThis.emuFlashWrite = (offset, hex) => {
    if (flashDelayMs > 0) Atomics.wait(sleeper, 0, 0, flashDelayMs);
    if (flashFd === null) return;
    const b = Buffer.from(String(hex), "hex");
    fs.writeSync(flashFd, b, 0, b.length, Number(offset));
  };
  const counterPath = "/state/counter"; // the rollback counter (NVS on a chip): FILE.counter
  if (o.state && fs.existsSync(o.state)) mp.FS.writeFile(flashPath, fs.readFileSync(o.state));
  if (o.state && fs.existsSync(o.state + ".counter"))
    mp.FS.writeFile(counterPath, fs.readFileSync(o.state + ".counter"));
  const secret = readSecret(o.state);
  mp.runPython('import sys\nsys.path[:] = ["/fw", "/repo", "", ".frozen", "/lib"]\n');
  const emu = mp.pyimport("emulated");

  const writeAtomic = (dest, data) => {
    const tmp = dest + ".tmp";
    const fd = fs.openSync(tmp, "w");
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, dest);
  };
  // The counter is copied out after each command: after the store's commit point, so a kill
  // before the copy leaves it behind the store (which mount repairs), never ahead.
  let lastCounter = "";
  const syncCounter = () => {
    if (!o.state) return;
    let c;
    try {
      c = Buffer.from(mp.FS.readFile(counterPath));
    } catch (e) {
      return;
    }
    if (c.toString("hex") === lastCounter) return;
    writeAtomic(o.state + ".counter", c);
    lastCounter = c.toString("hex");
  };

  const st = emu.boot(board.name, board.chip, board.store.sector_size, board.store.sector_count,
                      secret.toString("hex"));
  secret.fill(0);
  syncCounter();
  process.stderr.write("EMULATOR READY " + String(st) + "\n");

  const t0 = performance.now();
  const nowMs = () => Math.floor(performance.now() - t0);
  let stopping = false;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    try {
      syncCounter();
    } finally {
      process.exit(code);
    }
  };

  process.stdin.on("data", (chunk) => {
    let out;
    try {
      out = String(emu.feed(chunk.toString("hex"), nowMs()));
    } catch (e) {
      // A bug in the firmware must not take the board down: log it, drop this chunk.
      process.stderr.write("firmware error: " + String(e && e.message ? e.message : e).slice(-2000) + "\n");
      out = "";
    }
    if (out.length) process.stdout.write(Buffer.from(out, "hex"));
    syncCounter();
  });
  process.stdin.on("end", () => stop(0));
  const timer = setInterval(() => {
    try {
      emu.tick(nowMs());
    } catch (e) {
      /* the next feed reports it */
    }
  }, 500);
  timer.unref();
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
}

main().catch((e) => {
  process.stderr.write("emulator_runner: " + String(e && e.stack ? e.stack : e).split("\n").slice(0, 4).join("\n").slice(0, 2000) + "\n");
  process.exit(2);
});
