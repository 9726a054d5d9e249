"""The plugin's config string: mistakes are errors at the plugin line, never tracebacks."""

from __future__ import annotations

import datetime

import pytest
from beancount import loader
from beancount.core import data

from coop_beancount.books.config import ConfigError, parse_config
from coop_beancount.core.errors import CoopError
from coop_beancount.core.periods import add_months

BAD_CONFIGS = {
    "{'as_of': 'yesterday'}": ["as_of", "YYYY-MM-DD", "'yesterday'"],
    "{'as_of': '2025-02-30'}": ["as_of", "YYYY-MM-DD"],
    "not a dict": ["not a Python dict literal", "{'as_of': '2025-12-31'}"],
    "[1,2]": ["must be a dict", "list"],
    "{'bogus': 1}": ["unknown key", "bogus", "as_of"],
}

BODY = """
2025-01-01 open Assets:Bank USD
2025-01-01 open Income:Members:Dues USD
2025-01-01 custom "coop-member" "Alice" "Alice Smith"
2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
"""


def plugin_line(config: str) -> str:
    return f'plugin "coop_beancount.plugins.coop" "{config}"\n'


@pytest.mark.parametrize("config", sorted(BAD_CONFIGS))
def test_invalid_config_is_an_error_not_a_traceback(config):
    entries, errors, options = loader.load_string(plugin_line(config) + BODY)
    assert len(errors) == 1, errors
    error = errors[0]
    assert isinstance(error, CoopError)
    assert "Traceback" not in error.message
    assert error.source["filename"] == options["filename"] == "<string>"
    for word in BAD_CONFIGS[config]:
        assert word in error.message, f"{word!r} not in {error.message!r}"
    # The books still load: the user's own entries are all there.
    assert any(isinstance(e, data.Open) and e.account == "Assets:Bank" for e in entries)


@pytest.mark.parametrize("config", sorted(BAD_CONFIGS))
def test_invalid_config_in_a_file_points_at_the_plugin_line(tmp_path, config):
    path = tmp_path / "books.beancount"
    text = (
        'option "title" "Yogurt co-op"\n'
        'option "operating_currency" "USD"\n'
        "; the co-op rules\n"
        'plugin "beancount.plugins.auto_accounts"\n'
        + plugin_line(config)
        + BODY
    )
    path.write_text(text)
    expected_line = text.splitlines().index(plugin_line(config).rstrip("\n")) + 1
    assert expected_line == 5
    _, errors, _ = loader.load_file(str(path))
    assert len(errors) == 1, errors
    assert isinstance(errors[0], CoopError)
    assert errors[0].source["filename"] == str(path)
    assert errors[0].source["lineno"] == expected_line
    # The test leaves nothing but its own ledger behind (no load cache).
    assert [p.name for p in tmp_path.iterdir()] == ["books.beancount"]


def test_valid_config_in_a_file_loads_cleanly(tmp_path):
    path = tmp_path / "books.beancount"
    path.write_text(plugin_line("{'as_of': '2025-03-31'}") + BODY)
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    dues = [e for e in entries if e.meta.get("coop-generated") == "dues"]
    assert [e.date.isoformat() for e in dues] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert {e.meta["filename"] for e in dues} == {str(path)}
    schedule_line = path.read_text().splitlines().index(
        '2025-01-01 custom "coop-dues" "Monthly dues" 5.00 USD "monthly"') + 1
    assert {e.meta["lineno"] for e in dues} == {schedule_line}


def _recent_ledger(plugin: str) -> tuple[str, datetime.date]:
    today = datetime.date.today()
    start = add_months(today.replace(day=1), -3)
    text = plugin + f"""
{start} open Assets:Bank USD
{start} open Income:Members:Dues USD
{start} custom "coop-member" "Alice" "Alice Smith"
{start} custom "coop-dues" "Weekly dues" 1.00 USD "weekly"
{start} custom "coop-dues" "Monthly dues" 5.00 USD "monthly"
"""
    return text, start


@pytest.mark.parametrize("plugin", [
    'plugin "coop_beancount.plugins.coop"\n',
    'plugin "coop_beancount.plugins.coop" ""\n',
    'plugin "coop_beancount.plugins.coop" "{}"\n',
])
def test_default_as_of_is_today(plugin):
    text, start = _recent_ledger(plugin)
    today = datetime.date.today()
    entries, errors, _ = loader.load_string(text)
    assert errors == []
    dues = [e for e in entries if e.meta.get("coop-generated") == "dues"]
    assert all(e.date <= today for e in dues)
    weekly = [e for e in dues if e.meta["coop-schedule"] == "Weekly dues"]
    monthly = [e for e in dues if e.meta["coop-schedule"] == "Monthly dues"]
    # Every period that has started by today is charged, and no other.
    assert len(weekly) == (today - start).days // 7 + 1
    assert [e.date for e in monthly] == [add_months(start, n) for n in range(4)]


def test_loading_twice_gives_identical_entries():
    text = plugin_line("{'as_of': '2025-12-31'}") + BODY + """
2025-03-01 * "Alice pays"
  Assets:Bank                 10.00 USD
  Assets:Members:Alice:Dues  -10.00 USD
2025-06-30 custom "coop-leave" "Alice"
"""
    first = loader.load_string(text)
    second = loader.load_string(text)
    assert first[0] == second[0]
    assert first[1] == second[1]
    assert len(first[1]) == 1  # 20.00 USD of dues left at leaving


# --- parse_config directly ------------------------------------------------------------------


def test_parse_config_reads_as_of():
    assert parse_config("{'as_of': '2025-12-31'}").as_of == datetime.date(2025, 12, 31)


@pytest.mark.parametrize("text", [None, "", "   ", "{}"])
def test_parse_config_defaults_to_today(text):
    day = datetime.date(2024, 2, 29)
    assert parse_config(text, today=day).as_of == day
    assert parse_config(text).as_of == datetime.date.today()


@pytest.mark.parametrize("text", [*sorted(BAD_CONFIGS), "{'as_of': None}", "(", "1/0"])
def test_parse_config_raises_config_error(text):
    with pytest.raises(ConfigError):
        parse_config(text)


def test_config_error_is_a_value_error_with_the_example():
    with pytest.raises(ValueError, match=r"write it like: plugin"):
        parse_config("'just a string'")
