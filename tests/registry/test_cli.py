"""`flask registry lookup` with KONTO_REGISTRY=gus (the app's CLI runner, stand-ins behind)."""

import pytest


@pytest.fixture
def run(registry_app):
    runner = registry_app.test_cli_runner()
    return lambda *args: runner.invoke(args=["registry", "lookup", *args])


def test_found_exits_0_and_says_where_the_answer_came_from(run, gus):
    first = run("525-000-10-03")
    second = run("5250001003")
    refreshed = run("5250001003", "--refresh")

    assert first.exit_code == 0, first.output
    assert "status: found" in first.output and "source: gus (upstream)" in first.output
    assert "vat_status: czynny" in first.output and "krs: 0000123456" in first.output
    assert second.exit_code == 0 and "source: gus (cache)" in second.output
    assert refreshed.exit_code == 0 and "source: gus (upstream)" in refreshed.output
    assert gus.calls["DaneSzukajPodmioty"] == 2 and gus.calls["Zaloguj"] == 1


def test_not_found_exits_1(run):
    result = run("1130010003")

    assert result.exit_code == 1
    assert "status: not_found" in result.output


def test_unavailable_exits_2_with_the_reason(run):
    result = run("7010011003")

    assert result.exit_code == 2
    assert "status: unavailable" in result.output and "HTTP 500" in result.output


def test_white_list_fallback_is_shown_as_its_source(run, gus):
    gus.mode = "maintenance"

    result = run("6770002009")

    assert result.exit_code == 0
    assert "source: mf (upstream)" in result.output


def test_foreign_number_via_vies(run):
    result = run("DE123456788")

    assert result.exit_code == 0
    assert "source: vies (upstream)" in result.output and "name:" not in result.output


def test_invalid_number_exits_1_without_a_call(run, gus, mf, vies):
    result = run("1234567890")

    assert result.exit_code == 1
    assert gus.total_calls() + mf.total_calls() + vies.total_calls() == 0
