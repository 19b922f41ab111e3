#!/usr/bin/env node
// Runs Python inside real MicroPython 1.27 (the official WebAssembly port, npm package
// @micropython/micropython-webassembly-pyscript) with the repository's verification core
// available, laid out in MicroPython's in-memory filesystem like this:
//
//   /repo/lightclient/__init__.py, /repo/lightclient/chip/**.py   (import lightclient.chip.core.x)
//   /repo/tests/chip/**.py (import dual, import test_foo)           /repo/tests/mp/mptest.py
//   /shared/vectors/...   (all of ../shared/vectors, or the subdirectories named by --vectors)
//   /extra/<i>/*.py       (--extra-dir DIR, put first on sys.path)
//   /files/NAME           (--file NAME=SRC; /files is on sys.path; an absolute DEST is kept as is)
//
// Usage:
//   node lightclient/hwtest/mp_runner.mjs --module test_foo [--module test_bar ...]
//       Runs each module's top-level test_* functions through tests/mp/mptest.py, one fresh
//       interpreter per module, one call per test; prints PASS/FAIL lines and "N passed, N
//       failed" per module. Exit 0 if all passed, 1 otherwise.
//   node lightclient/hwtest/mp_runner.mjs --exec FILE.py
//       Runs a script as __main__ (one top-level call). Exit 0, or 1 on an uncaught exception
//       (traceback on stderr), or the code given to sys.exit().
//   node lightclient/hwtest/mp_runner.mjs --exec FILE.py --steps NAME
//       After the script, calls generator function NAME() and resumes it with one top-level call
//       per yield, so garbage is collected between steps, and prints one "HEAPSTEP ..." line per
//       step (see lightclient/hwtest/micropython.py: heap_profile).
//   node lightclient/hwtest/mp_runner.mjs --info     prints sys.implementation and the sys.path used.
// Options: --extra-dir DIR (repeatable), --file DEST=SRC (copy one file, repeatable),
//   --vectors all|none|a,b (subdirectories of ../shared/vectors; default all), --heapsize BYTES
//   (initial GC heap; the heap grows on demand, so it is not a limit), --pystack WORDS,
//   --repo DIR, --shared-vectors DIR.
//
// Exit codes: 0 success, 1 test failure or uncaught Python exception, 2 usage or setup error.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAX_NEW_SPLIT = 128 * 1024 * 1024; // ports/webassembly/main.c gc_get_max_new_split()

function usage(msg) {
  if (msg) process.stderr.write("runner: " + msg + "\n");
  process.stderr.write(
    "usage: mp_runner.mjs (--module NAME ... | --exec FILE [--steps NAME] | --info)\n" +
      "       [--extra-dir DIR] [--file DEST=SRC] [--vectors all|none|a,b]\n" +
      "       [--heapsize BYTES] [--pystack WORDS] [--repo DIR] [--shared-vectors DIR]\n",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    modules: [],
    exec: null,
    steps: null,
    info: false,
    extraDirs: [],
    files: [],
    vectors: "all",
    heapsize: 1024 * 1024,
    pystack: 64 * 1024,
    repo: path.resolve(HERE, "..", ".."),
    sharedVectors: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage("missing value after " + a);
      return argv[++i];
    };
    if (a === "--module") o.modules.push(val());
    else if (a === "--exec") o.exec = val();
    else if (a === "--steps") o.steps = val();
    else if (a === "--info") o.info = true;
    else if (a === "--extra-dir") o.extraDirs.push(path.resolve(val()));
    else if (a === "--file") {
      const v = val();
      const eq = v.indexOf("=");
      if (eq <= 0) usage("--file wants DEST=SRC");
      const dest = v.slice(0, eq);
      o.files.push([dest.startsWith("/") ? dest : "/files/" + dest, path.resolve(v.slice(eq + 1))]);
    } else if (a === "--vectors") o.vectors = val();
    else if (a === "--heapsize") o.heapsize = parseInt(val(), 10);
    else if (a === "--pystack") o.pystack = parseInt(val(), 10);
    else if (a === "--repo") o.repo = path.resolve(val());
    else if (a === "--shared-vectors") o.sharedVectors = path.resolve(val());
    else if (a === "-h" || a === "--help") usage();
    else usage("unknown argument " + a);
  }
  if (!o.sharedVectors) o.sharedVectors = path.resolve(o.repo, "..", "shared", "vectors");
  const modes = (o.modules.length ? 1 : 0) + (o.exec ? 1 : 0) + (o.info ? 1 : 0);
  if (modes !== 1) usage("give exactly one of --module, --exec, --info");
  if (o.steps && !o.exec) usage("--steps needs --exec");
  if (!(o.heapsize > 0) || !(o.pystack > 0)) usage("bad --heapsize or --pystack");
  return o;
}

// Output: the port hands over one byte at a time (linebuffer: false); we buffer and write whole
// lines, and flush what is left after every call, so nothing printed without "\n" is lost.
function makeSink(stream) {
  let buf = [];
  const flush = () => {
    if (buf.length) {
      stream.write(Buffer.from(buf));
      buf = [];
    }
  };
  const put = (u8) => {
    for (const c of u8) {
      buf.push(c);
      if (c === 10 || buf.length >= 65536) flush();
    }
  };
  return { put, flush };
}
const OUT = makeSink(process.stdout);
const ERR = makeSink(process.stderr);
const flushAll = () => {
  OUT.flush();
  ERR.flush();
};

function copyTree(mp, src, dst, filter) {
  let n = 0;
  let bytes = 0;
  if (!fs.existsSync(src)) return [0, 0];
  mp.FS.mkdirTree(dst);
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = dst + "/" + e.name;
    if (e.isDirectory()) {
      if (e.name === "__pycache__") continue;
      const [n2, b2] = copyTree(mp, s, d, filter);
      n += n2;
      bytes += b2;
    } else if (e.isFile() && (!filter || filter(e.name))) {
      const data = fs.readFileSync(s);
      mp.FS.writeFile(d, data);
      n += 1;
      bytes += data.length;
    }
  }
  return [n, bytes];
}

function copyFile(mp, src, dst) {
  mp.FS.mkdirTree(path.posix.dirname(dst));
  mp.FS.writeFile(dst, fs.readFileSync(src));
}

const isPy = (name) => name.endsWith(".py");

// A fresh interpreter with the repository's core, the tests and the vectors in its filesystem.
async function boot(o) {
  const mp = await loadMicroPython({
    heapsize: o.heapsize,
    pystack: o.pystack,
    linebuffer: false,
    stdout: OUT.put,
    stderr: ERR.put,
  });
  const repo = o.repo;
  copyFile(mp, path.join(repo, "lightclient", "__init__.py"), "/repo/lightclient/__init__.py");
  copyTree(mp, path.join(repo, "lightclient", "chip"), "/repo/lightclient/chip", isPy);
  // the verify-steps driver (Pi side, pure): the dual tests run the JSON vectors through it
  copyFile(mp, path.join(repo, "lightclient", "verify_steps.py"), "/repo/lightclient/verify_steps.py");
  copyTree(mp, path.join(repo, "tests", "chip"), "/repo/tests/chip", isPy);
  copyFile(mp, path.join(repo, "tests", "mp", "mptest.py"), "/repo/tests/mp/mptest.py");
  if (o.vectors !== "none") {
    if (o.vectors === "all") copyTree(mp, o.sharedVectors, "/shared/vectors");
    else
      for (const sub of o.vectors.split(",").filter(Boolean))
        copyTree(mp, path.join(o.sharedVectors, sub), "/shared/vectors/" + sub);
  }
  const extra = [];
  o.extraDirs.forEach((dir, i) => {
    if (!fs.existsSync(dir)) throw new Error("no such directory: " + dir);
    copyTree(mp, dir, "/extra/" + i, isPy);
    extra.push("/extra/" + i);
  });
  for (const [dst, src] of o.files) copyFile(mp, src, dst);
  const sysPath = [...extra, "/files", "/repo/tests/chip/core", "/repo/tests/chip/crypto", "/repo/tests/chip", "/repo/tests/mp", "/repo", "", ".frozen", "/lib"];
  mp.runPython("import sys\nsys.path[:] = " + JSON.stringify(sysPath) + "\n");
  return mp;
}

// Run f(); a Python exception thrown through it (PythonError) is returned instead of thrown.
function catchPy(f) {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e && e.name === "PythonError") return { ok: false, type: e.type, message: e.message };
    throw e;
  }
}

async function runModules(o) {
  let anyFail = false;
  for (const modname of o.modules) {
    const mp = await boot(o);
    const mptest = mp.pyimport("mptest");
    const d = catchPy(() => mptest.discover_or_report(modname));
    flushAll();
    if (!d.ok || d.value === null) {
      // The import failed; mptest printed a FAIL line (or the exception got through: print it).
      if (!d.ok) process.stdout.write("FAIL <import " + modname + ">: " + d.type + "\n" + d.message + "\n");
      mptest.finish();
      flushAll();
      anyFail = true;
      continue;
    }
    const names = String(d.value).split(" ").filter(Boolean);
    for (const name of names) {
      // One call per test: the port collects garbage when each call returns to JS.
      const r = catchPy(() => mptest.run_one(name));
      flushAll();
      if (!r.ok) {
        // run_one catches everything the test raises; this is mptest itself failing.
        process.stdout.write("FAIL " + name + ": " + r.type + ": uncaught\n" + r.message + "\n");
        anyFail = true;
      }
    }
    const failed = parseInt(mptest.finish(), 10);
    flushAll();
    if (failed) anyFail = true;
  }
  return anyFail ? 1 : 0;
}

function exitCodeOf(r) {
  // r.message is the traceback text; its last line is "SystemExit: <arg>" or "SystemExit".
  const m = /SystemExit(?::\s*(.*))?\s*$/.exec(r.message || "");
  if (!m || m[1] === undefined || m[1] === "") return 0;
  const n = parseInt(m[1], 10);
  if (String(n) === m[1].trim()) return n & 255;
  process.stderr.write(m[1] + "\n");
  return 1;
}

function runSteps(mp, name) {
  const helper = `
import gc
def __mp_steps_start():
    global __mp_gen
    __mp_gen = ${name}()
    gc.collect()
def __mp_steps_next():
    live = gc.mem_alloc()
    try:
        next(__mp_gen)
        done = 0
    except StopIteration:
        done = 1
    used = gc.mem_alloc()
    free = gc.mem_free()
    gc.collect()
    return "%d %d %d %d" % (done, live, used, free)
def __mp_live():
    return gc.mem_alloc()
`;
  mp.runPython(helper);
  mp.globals.get("__mp_steps_start")();
  const next = mp.globals.get("__mp_steps_next");
  for (let k = 0; ; k++) {
    const t0 = performance.now();
    const [done, live, used, free] = String(next()).split(" ").map(Number);
    const ms = performance.now() - t0;
    flushAll();
    const total = used + free - MAX_NEW_SPLIT;
    process.stdout.write(
      `HEAPSTEP step=${k} done=${done} live_before=${live} used_end=${used} ` +
        `heap_total=${total} ms=${ms.toFixed(2)}\n`,
    );
    if (done) break;
  }
  // Live heap after the last step's garbage has been collected.
  const liveEnd = mp.globals.get("__mp_live")();
  process.stdout.write(`HEAPEND live=${liveEnd}\n`);
}

async function runExec(o) {
  const src = fs.readFileSync(o.exec, "utf8");
  const mp = await boot(o);
  const r = catchPy(() => mp.runPython(src));
  flushAll();
  if (!r.ok) {
    if (r.type === "SystemExit") return exitCodeOf(r);
    process.stderr.write(r.message.endsWith("\n") ? r.message : r.message + "\n");
    return 1;
  }
  if (o.steps) {
    const s = catchPy(() => runSteps(mp, o.steps));
    flushAll();
    if (!s.ok) {
      process.stderr.write(s.message);
      return 1;
    }
  }
  return 0;
}

async function runInfo(o) {
  const mp = await boot(o);
  mp.runPython(
    "import sys, json\nprint(json.dumps({'name': sys.implementation.name, " +
      "'version': list(sys.implementation.version[:3]), 'platform': sys.platform, " +
      "'build': getattr(sys.implementation, '_build', ''), 'path': sys.path}))\n",
  );
  flushAll();
  return 0;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let code;
  try {
    if (o.info) code = await runInfo(o);
    else if (o.exec) code = await runExec(o);
    else code = await runModules(o);
  } catch (e) {
    flushAll();
    // Keep it short: an error from the emscripten module would otherwise print its whole
    // minified source line.
    process.stderr.write("runner: " + (e && e.stack ? String(e.stack).split("\n").slice(0, 3).join("\n").slice(0, 2000) : String(e)) + "\n");
    code = 2;
  }
  flushAll();
  process.exitCode = code;
}

await main();
