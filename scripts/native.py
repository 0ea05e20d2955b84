"""`make native`: compile the engine's hot modules with mypyc into .local/native.

The package picks the build up only while its stamp matches the sources (signals/native.py),
so a stale build is never run. Without a C compiler this exits non-zero and vigil runs the
Python source, which decides identically.
"""

import os
import shutil
import sys
import time
import warnings
from pathlib import Path

if __name__ == "__main__":  # build from the sources, not from a previous build
    os.environ["VIGIL_NATIVE"] = "0"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mypyc.build import mypycify  # noqa: E402
from setuptools import setup  # noqa: E402

from signals import native  # noqa: E402


def main() -> None:
    warnings.filterwarnings("ignore", module="setuptools")  # pyproject notes, not ours
    os.chdir(ROOT)  # mypyc reads the mypy settings in pyproject.toml from here
    want = native.digest()
    if native.STAMP.exists() and native.STAMP.read_text().strip() == want:
        print("[native] the compiled engine is up to date")
        return
    started = time.monotonic()
    staging = native.BUILD_DIR.with_name("native.building")
    shutil.rmtree(staging, ignore_errors=True)
    modules = [f"signals/{m}.py" for m in native.COMPILED]
    print(f"[native] compiling {len(modules)} modules of signals/ with mypyc", flush=True)
    setup(
        name="vigil-native",
        ext_modules=mypycify(
            modules, group_name=native.GROUP, multi_file=True, target_dir=str(staging / "c")
        ),
        script_args=[
            "--quiet",
            "build_ext",
            "--build-lib",
            str(staging / "lib"),
            "--build-temp",
            str(staging / "obj"),
            "--parallel",
            str(os.cpu_count()),
        ],
    )
    # swap the finished build in whole, then stamp it: the package never sees half a build
    shutil.rmtree(native.BUILD_DIR, ignore_errors=True)
    (staging / "lib").rename(native.BUILD_DIR)
    shutil.rmtree(staging, ignore_errors=True)
    native.STAMP.write_text(want + "\n")
    print(f"[native] built in {time.monotonic() - started:.0f} s: {native.BUILD_DIR}")


if __name__ == "__main__":
    main()
