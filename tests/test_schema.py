"""The suite format's reference: `harness schema`, evalsets/suite.schema.json and docs/suite-format.md agree."""

from pathlib import Path

import jsonschema
import pytest
import yaml

from harness.cli import main
from harness.suite import json_schema, markdown_reference

ROOT = Path(__file__).resolve().parents[1]
SUITES = sorted((ROOT / "evalsets").glob("*.yaml"))


def test_committed_schema_and_reference_are_what_harness_generates(capsys):
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == (ROOT / "evalsets" / "suite.schema.json").read_text()
    assert main(["schema", "--markdown"]) == 0
    assert capsys.readouterr().out == (ROOT / "docs" / "suite-format.md").read_text() == markdown_reference()


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.name)
def test_bundled_suites_point_editors_to_the_schema_and_pass_it(path):
    assert path.read_text().splitlines()[0] == "# yaml-language-server: $schema=suite.schema.json"
    jsonschema.validate(yaml.safe_load(path.read_text()), json_schema())


def test_schema_catches_what_validation_catches():
    suite = yaml.safe_load(SUITES[0].read_text())
    suite["tasks"][0]["criteria"] = {"max_drop": 2}  # above 1
    with pytest.raises(jsonschema.ValidationError, match="2 is greater than the maximum of 1"):
        jsonschema.validate(suite, json_schema())
    suite["tasks"][0]["criteria"] = {"max_dorp": 0.1}  # a typo
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        jsonschema.validate(suite, json_schema())


def test_every_field_of_the_reference_is_explained():
    rows = [line for line in markdown_reference().splitlines() if line.startswith("| `")]
    assert rows and all(not line.rstrip().endswith("|  |") for line in rows), [
        line for line in rows if line.rstrip().endswith("|  |")]
