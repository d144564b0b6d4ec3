"""Generate the `crm` Python package (messages, gRPC stubs, .pyi) from protos/.

Generated code is never committed; the install step runs this.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import grpc_tools
from google.type import date_pb2
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"
OUT = ROOT


def main() -> int:
    target = OUT / "crm"
    if target.exists():
        shutil.rmtree(target)
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    # google/type/*.proto and google/rpc/*.proto ship with googleapis-common-protos.
    googleapis = Path(date_pb2.__file__).resolve().parents[2]
    bin_dir = Path(sys.executable).parent
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"-I{well_known}",
        f"-I{googleapis}",
        f"--python_out={OUT}",
        f"--grpc_python_out={OUT}",
    ]
    if shutil.which("protoc-gen-mypy"):
        args += [f"--mypy_out={OUT}", f"--mypy_grpc_out={OUT}"]
    rc = protoc.main([*args, *files])
    if rc != 0:
        print("protoc failed", file=sys.stderr)
        return rc
    for folder in [target, *[p for p in target.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").touch()
    (target / "py.typed").touch()
    print(f"generated {len(files)} proto files into {target.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
