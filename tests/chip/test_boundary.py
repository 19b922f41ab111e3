# The chip package's boundary (issue 15). For each image variant of firmware/manifest.py, the
# modules the board image carries (`board image build --variant V`) are exactly the import closure
# of firmware/main.py for that variant, that set lies inside the chip package, and the chip
# package imports only what the manifest allows (MicroPython 1.27's modules, pinned
# micropython-lib modules, our native modules): the allowed list lives in firmware/manifest.py.
import ast
import textwrap
from pathlib import Path

import pytest

from lightclient.hwtest import boards, image

REPO = Path(__file__).resolve().parents[2]
CHIP = REPO / "lightclient" / "chip"
MANIFEST = image.load_manifest(REPO)
VARIANTS = sorted(MANIFEST["VARIANTS"])
# What the image holds besides the firmware's modules.
DATA_FILES = {"/board.json", "/manifest.json"}


def _image_modules(variant):
    """{image path} of the firmware files an image of `variant` holds, read back from the
    littlefs image `board image build` writes (board.json / manifest.json left out)."""
    b = boards.load_board("esp32-devkitc")
    files, _ = image.filesystem_files(b, variant=variant)
    fs = image.read_filesystem(b, image.build_filesystem(b, files))
    return set(fs) - DATA_FILES, fs


def imports_of(path, package_root):
    """(absolute module name, names taken from it or None, line) of every import in a file,
    relative ones resolved, in function bodies and try blocks too (the chip may run either
    branch), in line order."""
    tree = ast.parse(path.read_text(), str(path))
    pkg = list(path.relative_to(package_root).parent.parts)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, None, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(pkg[:len(pkg) - (node.level - 1)] + ([base] if base else []))
            out.append((base, [a.name for a in node.names], node.lineno))
    return sorted(out, key=lambda t: t[2])


def _defined(init):
    """Names a package's __init__.py defines at top level."""
    names = set()
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _missing(package_root, module, names):
    """The first of `module` / `module.name` that is not a file of the package, or None."""
    target = package_root.joinpath(*module.split("."))
    if target.with_suffix(".py").is_file():
        return None
    init = target / "__init__.py"
    if not init.is_file():
        return module
    for n in names or ():
        if not ((target / (n + ".py")).is_file() or (target / n / "__init__.py").is_file()
                or n in _defined(init)):
            return module + "." + n
    return None


def boundary_violations(package_dir, package_root, allowed):
    """Imports in package_dir/**.py that are neither the package's own (an existing module of
    it) nor a top-level name in `allowed`: ["file:line imports name", ...]."""
    package = ".".join(package_dir.relative_to(package_root).parts)
    bad = []
    for f in sorted(package_dir.rglob("*.py")):
        for name, names, line in imports_of(f, package_root):
            if name == package or name.startswith(package + "."):
                gone = _missing(package_root, name, names)
                if gone is None:
                    continue
                name = gone
            elif name.split(".")[0] in allowed:
                continue
            bad.append("%s:%d imports %s" % (f.relative_to(package_root), line, name))
    return bad


@pytest.mark.parametrize("variant", VARIANTS)
def test_image_carries_exactly_the_import_closure_of_the_entry_point(variant):
    closure, _ = image.import_closure(REPO, variant)
    carried, fs = _image_modules(variant)
    assert carried == set(closure)
    for path, src in closure.items():
        assert fs[path] == src.read_bytes(), path
    listed = {"/lib/" + f for f in MANIFEST["variant_files"](variant)} | {"/main.py"}
    assert carried == listed, "firmware/manifest.py disagrees with the import closure"


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_image_lies_inside_the_chip_package(variant):
    carried, _ = _image_modules(variant)
    outside = sorted(p for p in carried
                     if p != "/main.py" and not p.startswith("/lib/lightclient/chip/")
                     and p != "/lib/lightclient/__init__.py")
    assert outside == []


def test_variants_differ_only_in_the_crypto_backend():
    pure, _ = _image_modules("pure")
    native, _ = _image_modules("native")
    crypto = "/lib/lightclient/chip/crypto/"
    assert pure - native == {crypto + m for m in (
        "pure.py", "ed25519.py", "edwards25519.py", "secp256k1.py", "secp256k1_group.py",
        "sha512.py", "x25519.py", "chacha20poly1305.py", "hkdf_sha256.py")}
    assert native - pure == {crypto + "native.py"}


def test_the_chip_package_imports_only_what_the_manifest_allows():
    assert boundary_violations(CHIP, REPO, MANIFEST["ALLOWED_IMPORTS"]) == []
    # lightclient/__init__.py goes on the chip too: it must import nothing
    assert imports_of(REPO / "lightclient" / "__init__.py", REPO) == []


def test_the_check_catches_a_wrong_import(tmp_path):
    """The checker itself: a Pi-side import, a CPython-only library, a module the package does
    not have, and a relative import out of the package are all reported; allowed ones are not."""
    pkg = tmp_path / "lightclient" / "chip"
    (pkg / "core").mkdir(parents=True)
    (tmp_path / "lightclient" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "core" / "__init__.py").write_text("")
    (pkg / "core" / "ok.py").write_text(textwrap.dedent("""
        import hashlib
        from lightclient.chip.core import ok
        from . import ok as again
        try:
            import lccrypto
        except ImportError:
            pass
        """))
    (pkg / "core" / "bad.py").write_text(textwrap.dedent("""
        import dataclasses
        from lightclient import client
        from lightclient.chip.core import gone
        def f():
            from cryptography.hazmat.primitives import hashes
        from ... import sync
        """))
    bad = boundary_violations(pkg, tmp_path, MANIFEST["ALLOWED_IMPORTS"])
    assert bad == ["lightclient/chip/core/bad.py:2 imports dataclasses",
                   "lightclient/chip/core/bad.py:3 imports lightclient",
                   "lightclient/chip/core/bad.py:4 imports lightclient.chip.core.gone",
                   "lightclient/chip/core/bad.py:6 imports cryptography.hazmat.primitives",
                   "lightclient/chip/core/bad.py:7 imports lightclient"]


# Inside real MicroPython 1.27: the image's files alone, at their image paths, import /main.py
# (with esp32 and machine stood in for), and nothing outside the image is loaded.
MP_CODE = """
import sys
sys.path[:] = ["/board", "/board/lib"]
for k in list(sys.modules):
    if k.startswith("lightclient"):
        del sys.modules[k]
class _Stub:
    def __getattr__(self, name):
        raise AttributeError(name)
sys.modules["esp32"] = _Stub()
sys.modules["machine"] = _Stub()
%s
import main
for m in %r:
    __import__(m)
from lightclient.chip.crypto import backend
print("BACKEND", backend.backend_name())
print("LOADED", " ".join(sorted(k for k in sys.modules)))
"""
# A stand-in for the C module, so the native variant's Python side loads in the WebAssembly port
# (which cannot link our C module): every function the adapter needs, none of them callable.
LCCRYPTO_STUB = """
class _Lccrypto:
    def __getattr__(self, name):
        if name in ("ed25519_verify", "ed25519_sign", "ed25519_public_key", "secp256k1_verify",
                    "secp256k1_sign", "secp256k1_public_key", "sha512", "hmac_sha256", "x25519",
                    "x25519_public_key", "chacha20poly1305_encrypt", "chacha20poly1305_decrypt",
                    "hkdf_sha256", "ed25519_point_mul", "ripemd160", "SmpDecoder"):
            def f(*a):
                raise RuntimeError("stub")
            return f
        raise AttributeError(name)
sys.modules["lccrypto"] = _Lccrypto()
"""


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_image_loads_alone_in_micropython(variant):
    from lightclient.hwtest.micropython import run_script
    carried, fs = _image_modules(variant)
    files = {"/board" + p: fs[p] for p in carried}
    modules = sorted(p[:-3].replace("/lib/", "/", 1).strip("/").replace("/", ".")
                     .replace(".__init__", "") for p in carried if p != "/main.py")
    stub = LCCRYPTO_STUB if variant == "native" else ""
    r = run_script(MP_CODE % (stub, modules), extra_files=files, vectors="none", timeout=300)
    assert r.returncode == 0, (r.stdout + r.stderr)[-2000:]
    out = dict(ln.split(" ", 1) for ln in r.stdout.splitlines() if ln.startswith(("BACKEND",
                                                                                  "LOADED")))
    assert out["BACKEND"] == ("lccrypto" if variant == "native" else "pure")
    loaded = set(out["LOADED"].split())
    # MicroPython keeps its built-in modules out of sys.modules: what is left came from files
    assert loaded - {"esp32", "machine", "lccrypto"} == set(modules) | {"main"}


def test_a_native_image_without_lccrypto_says_so_in_micropython():
    """The native image on a MicroPython without our C module: importing the crypto interface
    fails with an error that names the cause, not a missing pure-Python module."""
    from lightclient.hwtest.micropython import run_script
    carried, fs = _image_modules("native")
    files = {"/board" + p: fs[p] for p in carried}
    code = """
import sys
sys.path[:] = ["/board", "/board/lib"]
try:
    from lightclient.chip.crypto import backend
    print("LOADED", backend.backend_name())
except ImportError as e:
    print("ERROR", e)
"""
    r = run_script(code, extra_files=files, vectors="none", timeout=300)
    assert r.returncode == 0, (r.stdout + r.stderr)[-2000:]
    line = [x for x in r.stdout.splitlines() if x.startswith(("LOADED", "ERROR"))][0]
    assert line.startswith("ERROR no crypto backend: ") and "lccrypto" in line, line

