import pytest

from harness.scorers import SCORERS, exact, extract_numbers, f1, first_json_object, includes, json_fields, numeric, regex, score_text


class TestExact:
    def test_case_punctuation_and_whitespace_are_ignored_by_default(self):
        assert exact("  Billing. ", "billing") == 1.0

    def test_only_first_nonempty_line_is_judged(self):
        assert exact("\nshipping\nbecause the parcel is late", "shipping") == 1.0
        assert exact("The category is shipping", "shipping") == 0.0

    def test_strict_options(self):
        assert exact("Billing", "billing", ignore_case=False) == 0.0
        assert exact("billing.", "billing", ignore_punctuation=False) == 0.0

    def test_numbers_compare_as_text(self):
        assert exact("42", 42) == 1.0

    def test_empty_output(self):
        assert exact("", "billing") == 0.0


class TestIncludes:
    def test_substring(self):
        assert includes("I think it is BILLING related", "billing") == 1.0

    def test_absent(self):
        assert includes("technical", "billing") == 0.0

    def test_empty_target_never_matches(self):
        assert includes("anything", "") == 0.0


class TestRegex:
    def test_group_is_compared(self):
        assert regex("Reasoning...\nAnswer: B", "b", pattern=r"Answer:\s*(\w)") == 1.0

    def test_no_match_scores_zero(self):
        assert regex("no answer here", "b", pattern=r"Answer:\s*(\w)") == 0.0

    def test_whole_match_without_group(self):
        assert regex("code XJ-9 shipped", "xj-9", pattern=r"[A-Z]{2}-\d") == 1.0


class TestNumeric:
    @pytest.mark.parametrize("text,expected", [
        ("The answer is 1,234.5.", [1234.5]), ("-3 and +4", [-3.0, 4.0]), (".5", [0.5]),
        ("1e3 apples", [1000.0]), ("no digits", []), ("costs $12", [12.0]),
    ])
    def test_extraction(self, text, expected):
        assert extract_numbers(text) == expected

    def test_exact_match_and_float_format(self):
        assert numeric("42.0", 42) == 1.0
        assert numeric("43", 42) == 0.0

    def test_absolute_and_relative_tolerance(self):
        assert numeric("10.4", 10, tolerance=0.5) == 1.0
        assert numeric("10.6", 10, tolerance=0.5) == 0.0
        assert numeric("104", 100, relative_tolerance=0.05) == 1.0

    def test_first_or_last(self):
        assert numeric("3 boxes of 4 is 12", 12) == 0.0
        assert numeric("3 boxes of 4 is 12", 12, pick="last") == 1.0

    def test_no_number(self):
        assert numeric("I don't know", 7) == 0.0

    def test_non_numeric_target_is_an_error(self):
        with pytest.raises(ValueError, match="not a number"):
            numeric("3", "three")


class TestJsonFields:
    target = {"name": "Maria Lopez", "city": "Denver", "amount": 42.5}

    def test_all_fields_with_prose_and_fences(self):
        out = 'Sure!\n```json\n{"name": "maria lopez", "city": "Denver", "amount": "$42.50"}\n```'
        assert json_fields(out, self.target) == 1.0

    def test_partial_credit_and_all_or_nothing(self):
        out = '{"name": "Maria Lopez", "city": "Boulder", "amount": 42.5}'
        assert json_fields(out, self.target) == pytest.approx(2 / 3)
        assert json_fields(out, self.target, partial=False) == 0.0

    def test_invalid_json_scores_zero(self):
        assert json_fields('{"name": "Maria"', self.target) == 0.0

    def test_target_given_as_json_text(self):
        assert json_fields('{"a": 1}', '{"a": 1}') == 1.0

    def test_skips_non_object_braces(self):
        assert first_json_object('set {1, 2} then {"a": 1}') == {"a": 1}

    def test_bad_target_is_an_error(self):
        with pytest.raises(ValueError, match="JSON object"):
            json_fields("{}", [1, 2])


class TestF1:
    def test_squad_normalisation(self):
        assert f1("The 6 pm.", "6 pm") == 1.0

    def test_partial_overlap(self):
        assert f1("at 6 pm", "6 pm") == pytest.approx(0.8)

    def test_no_overlap_and_empty(self):
        assert f1("noon", "6 pm") == 0.0
        assert f1("", "6 pm") == 0.0

    def test_best_of_several_references(self):
        assert f1("six pm", ["6 pm", "six pm"]) == 1.0


def test_registry_validates_options():
    assert set(SCORERS) == {"exact", "includes", "regex", "numeric", "json_fields", "f1", "judge"}
    assert score_text("numeric", {"tolerance": 1}, "11", 10) == 1.0
    with pytest.raises(Exception):
        score_text("numeric", {"tolerence": 1}, "11", 10)
