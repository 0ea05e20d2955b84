"""Which build of the engine runs: mypyc-compiled modules when they are fresh, else the source.

`make native` (scripts/native.py) compiles the hot modules of this package with mypyc, the
compiler of the type checker the package is already strict under, into `.local/native/`. The
compiled modules are the same code, so both builds decide identically (a test replays a day
through each); the compiled one does it in about two thirds of the time.

The compiled modules are used only when the stamp written with them matches a digest of the
sources they were built from: a module edited since is never shadowed by its stale build.
`VIGIL_NATIVE=0` runs the source build regardless.
"""

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
BUILD_DIR = ROOT / ".local" / "native"
STAMP = BUILD_DIR / "stamp"
GROUP = "vigil_native"  # the compiled modules' shared library is GROUP + "__mypyc"

# the hot path: everything an event passes through. The policy loader stays in Python (it
# runs once per pack), and so do this module, which decides what is loaded, and
# signals.records, whose msgspec structs are C types already.
COMPILED = (
    "catalogue",
    "content",
    "creator",
    "deadletter",
    "decision",
    "decode",
    "detect",
    "emit",
    "engine",
    "eventtime",
    "facts",
    "fingerprint",
    "forward",
    "pipeline",
    "regionhold",
    "rules",
    "stages",
    "strictjson",
    "sweeping",
    "trend",
    "trendfamily",
    "trendgate",
    "windows",
)


def sources() -> list[Path]:
    """The files a compiled build depends on: its modules and the schemas they read."""
    return [PACKAGE_DIR / f"{m}.py" for m in COMPILED] + sorted((ROOT / "schemas").glob("*.py"))


def digest() -> str:
    """A digest of the sources and of the interpreter they are compiled for."""
    h = hashlib.sha256(sys.version.encode())
    for path in sources():
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def use(package_path: list[str]) -> bool:
    """Put a fresh compiled build first on the package's search path; False if there is none.

    Called by the package's __init__ before any of its modules is imported.
    """
    if os.environ.get("VIGIL_NATIVE", "1") == "0":
        return False
    try:
        stamp = STAMP.read_text().strip()
    except OSError:
        return False  # never built: the source build runs
    if stamp != digest():
        warnings.warn(
            "the compiled engine in .local/native is older than its sources; "
            "running the Python source (`make native` rebuilds it)",
            stacklevel=3,
        )
        return False
    shared = GROUP + "__mypyc"
    if shared not in sys.modules:
        found = sorted(BUILD_DIR.glob(shared + ".*"))
        if not found:
            return False
        loader = importlib.machinery.ExtensionFileLoader(shared, str(found[0]))
        spec = importlib.util.spec_from_file_location(shared, found[0], loader=loader)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[shared] = module  # the compiled modules import it by this name
        loader.exec_module(module)
    package_path.insert(0, str(BUILD_DIR / "signals"))
    return True
