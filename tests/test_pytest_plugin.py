"""`pytest --eval` (harness/pytest_plugin.py), run in fresh pytest processes as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from _gate_data import ROOT, write_table
from test_gate_local import CAPPED, DEFAULT, shared_reports

pytest_plugins = ["pytester"]
SUPPORT = str(ROOT / "evalsets" / "support.yaml")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # An explicit ini file makes pytester's folder the rootdir: pytest would otherwise root the run at
    # /work/main, the common ancestor of the path-like option values (--eval-suite ...).
    pytester.makeini("[pytest]\n")
    return pytester.runpytest_subprocess("-c", "tox.ini", "-p", "no:cacheprovider", *args)


@pytest.fixture
def reports(tmp_path_factory: pytest.TempPathFactory) -> str:
    # Shared with tests/test_gate_local.py: the cells that the gate tests ran are reused here.
    return str(shared_reports(tmp_path_factory))


def test_plain_pytest_runs_no_eval_item_and_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="""
        import sys

        def test_nothing_heavy_is_imported():
            assert "inspect_ai" not in sys.modules and "harness.suite" not in sys.modules
    """)
    result = run(pytester, "--eval-suite", SUPPORT, "-k", "contact_extraction or nothing")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*harness: eval items not run: pass --eval (2 task(s) in *support.yaml*"])
    assert "contact_extraction[" not in result.stdout.str()


def test_eval_collects_one_item_per_task_and_routed_candidate(pytester: pytest.Pytester) -> None:
    routing = write_table(pytester.path / "reports" / "routing.json", {"contact_extraction": CAPPED}, DEFAULT)
    result = run(pytester, "--eval", "--collect-only", "-q", "--eval-suite", SUPPORT)
    # The default --eval-routing is reports/routing.json; ticket_routing is not routed: the default serves it.
    result.stdout.fnmatch_lines(["*support.yaml::ticket_routing[[]few-shot[]]",
                                 "*support.yaml::contact_extraction[[]few-shot-capped[]]"])
    assert routing.is_file()
    # --eval-model provider/model: the routed configuration with another model
    swapped = run(pytester, "--eval", "--collect-only", "-q", "--eval-suite", SUPPORT, "--eval-model", "openai/gpt-4o")
    swapped.stdout.fnmatch_lines(["*support.yaml::contact_extraction[[]few-shot-capped@gpt-4o[]]"])


@pytest.mark.slow
def test_eval_passes_for_a_candidate_that_meets_the_criteria(pytester: pytest.Pytester, reports: str) -> None:
    routing = write_table(pytester.path / "routing.json", {"contact_extraction": CAPPED}, DEFAULT)
    result = run(pytester, "--eval", "-k", "contact_extraction", "--eval-suite", SUPPORT,
                                           "--eval-routing", str(routing), "--eval-limit", "40",
                                           "--eval-reports", reports, "-rA")
    result.assert_outcomes(passed=1, deselected=1)


@pytest.mark.slow
def test_eval_fails_readably_for_a_candidate_that_does_not(pytester: pytest.Pytester, reports: str) -> None:
    result = run(pytester, "--eval", "-k", "contact_extraction", "--eval-suite", SUPPORT,
                                           "--eval-model", "zero-shot-short", "--eval-limit", "10",
                                           "--eval-reports", reports)
    result.assert_outcomes(failed=1, deselected=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "contact_extraction[[]zero-shot-short[]]: proven worse",
        "  candidate   zero-shot-short (local/gemma-3-270m, max_tokens=24, *",
        "  score       0.* [[]0.*, 0.*[]] (95% CI, n=10)",
        "  criteria    at most 0.050 worse than few-shot (*",
        "  difference  -0.* [[]*[]] (90%), margin −0.050",
        "  verdict     proven worse than few-shot: *upper bound * below -0.050",
        "  first failing samples:",
        "    - sample * (score 0.*)",
        "        input:  Message: *",
    ])
    assert "Traceback" not in out and "def runtest" not in out  # a verdict, not a stack trace


def test_eval_model_that_is_no_candidate_fails_the_session_with_the_candidates(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--eval", "-k", "ticket_routing", "--eval-suite", SUPPORT, "--eval-model", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--eval-model 'nope' is not a candidate of any task in support.yaml "
                                 "(candidates: few-shot, *zero-shot*)*"])


def test_eval_model_of_another_task_fails_the_item_not_skips_it(pytester: pytest.Pytester) -> None:
    # zero-shot-short is a candidate of contact_extraction only: ticket_routing's item must fail, not skip
    result = run(pytester, "--eval", "-k", "ticket_routing", "--eval-suite", SUPPORT, "--eval-model",
                 "zero-shot-short")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["*--eval-model 'zero-shot-short' is not a candidate of task 'ticket_routing'*"])


@pytest.mark.parametrize("option, value, message", [
    ("--eval-suite", "nosuch.yaml", "*harness: no suite file at *nosuch.yaml*pass --eval-suite FILE*"),
    ("--eval-routing", "nosuch.json", "*harness: --eval-routing nosuch.json: no such file*"),
])
def test_eval_with_a_missing_file_fails_the_session(pytester: pytest.Pytester, option, value, message) -> None:
    args = ["--eval", option, value] + (["--eval-suite", SUPPORT] if option != "--eval-suite" else [])
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_eval_limit_must_be_positive(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--eval", "--eval-suite", SUPPORT, "--eval-limit", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--eval-limit: expected a whole number >= 1, got '0'*"])


def test_broken_suite_is_a_collection_error_without_traceback(pytester: pytest.Pytester) -> None:
    suite = pytester.path / "broken.yaml"
    suite.write_text("suite: broken\ntasks:\n  - name: t\n    scorer: fuzzy\n")
    result = run(pytester, "--eval", "--eval-suite", str(suite))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*harness: invalid suite*", "*tasks.0.candidates: no candidates*"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize("autoload, extra, active", [("", [], True), ("1", [], True),
                                                     ("", ["-p", "no:harness"], False)])
def test_repo_conftest_and_entry_point_do_not_register_twice(autoload: str, extra: list[str], active: bool) -> None:
    """The entry point loads the plugin; conftest.py loads it only when the entry point did not."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": autoload}
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *extra,
                           "tests/test_tasks.py"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("eval items not run: pass --eval" in proc.stdout) is active


def test_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="pytest11") if e.name == "harness"]
    assert ep.value == "harness.pytest_plugin"
    assert Path(ROOT / "pyproject.toml").read_text().count('harness = "harness.pytest_plugin"') == 1
