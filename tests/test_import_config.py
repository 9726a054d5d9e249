"""import.yaml: the examples' and the documented one load; every mistake names file and key."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from coop_beancount.importers import config as config_module
from coop_beancount.importers.bank import BankImporter
from coop_beancount.importers.config import ImportConfigError, load_config

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

BANK = textwrap.dedent("""\
    importers:
      - type: bank
        account: Assets:Bank:Checking
        currency: USD
        columns:
          date: Date
          amount: Amount
    """)
#: Added to BANK: a key of the importer, and a column.
KEY = "    "
COLUMN = "      "


def write(tmp_path, text: str, name: str = "import.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ImportConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: "), message
    return message[len(f"{path}: "):]


# --- what loads ------------------------------------------------------------------------------

def test_the_examples_configurations_load():
    yogurt = load_config(EXAMPLES / "yogurt-coop" / "import.yaml").importers
    assert [(i.name, i.account("x")) for i in yogurt] == [("checking", "Assets:Bank:Checking")]
    dev = load_config(EXAMPLES / "dev-coop" / "import.yaml").importers
    assert [i.name for i in dev] == ["checking", "operating", "roster", "timesheets", "gusto"]
    checking, operating, *_ = dev
    # The YAML anchor shares the bank's layout between the two accounts.
    assert checking.csv == operating.csv
    assert (checking.csv.encoding, checking.csv.delimiter, checking.csv.decimal) == (
        "latin-1", ";", ",")
    # The operating account's own rules replace the top-level ones.
    assert len(operating.matching.references) == 5
    assert [r.to for r in checking.matching.references] == ["receivable", "dues"]
    growers = load_config(EXAMPLES / "growers-coop" / "import.yaml").importers
    assert [type(i).__name__ for i in growers] == ["PatronageImporter"]


def test_the_documented_example_loads():
    pytest.importorskip("coop_beancount.importers.records")
    doc = config_module.__doc__
    example = doc[doc.index("    # Rules for matching"):doc.index("Every mistake")]
    parsed = config_module.parse_config("example.yaml", yaml.safe_load(textwrap.dedent(example)))
    assert [type(i).__name__ for i in parsed.importers] == [
        "BankImporter", "PatronageImporter", "RosterImporter", "TimesheetImporter",
        "PayrollImporter"]
    bank = parsed.importers[0]
    assert bank.name == "checking" and bank.matching.inflow == "dues"
    assert bank.csv.encoding == "utf-8-sig"  # utf-8 reads a byte-order mark too
    rules = bank.matching.references
    assert rules[1].pattern.search("Dues ANA").group("member") == "ANA"
    assert bank.matching.accounts == {"0042117734": "Chloe"}


def test_defaults(tmp_path):
    (bank,) = load_config(write(tmp_path, BANK)).importers
    assert isinstance(bank, BankImporter)
    assert bank.name == "bank:Assets:Bank:Checking"
    assert (bank.balances, bank.positive, bank.filename_pattern) == ("last", "inflow", None)
    assert (bank.matching.inflow, bank.matching.unknown_outflow) == (
        "receivable", "Expenses:Unknown")


def test_patronage_and_roster_sections(tmp_path):
    pytest.importorskip("coop_beancount.importers.records")
    path = write(tmp_path, """\
        importers:
          - type: patronage
            measure: hours
            filename: "timesheet-*.csv"
            columns: {member: Who, date: When, quantity: Hours}
          - type: roster
            columns: {key: Key, name: Name, joined: 3}
        """)
    patronage, roster = load_config(path).importers
    assert patronage.account("x") == "Equity:Members"
    assert patronage.columns == {"member": "Who", "date": "When", "quantity": "Hours"}
    assert roster.columns["joined"] == 3
    assert patronage.name != roster.name


# --- mistakes --------------------------------------------------------------------------------

def bank_with(**replace: str) -> str:
    """BANK with lines replaced: bank_with(account=None) drops the `account:` line."""
    lines = BANK.splitlines(keepends=True)
    for key, new in replace.items():
        (index,) = [i for i, line in enumerate(lines)
                    if line.strip().removeprefix("- ").startswith(f"{key}:")]
        if new is None:
            del lines[index]
        else:
            indent = lines[index][:len(lines[index]) - len(lines[index].lstrip())]
            lines[index] = f"{indent}{new}\n"
    return "".join(lines)


@pytest.mark.parametrize("text, expected", [
    ("importers: []\nextra: 1\n", "extra: unknown key; the keys here are importers, matching"),
    (bank_with(currency="curency: USD"),
     "importers[1].curency: unknown key; the keys here are type, name, account"),
    (BANK + KEY + "csv: {delimter: ';'}\n", "importers[1].csv.delimter: unknown key"),
    (BANK + COLUMN + "payee_name: Payee\n", "importers[1].columns.payee_name: unknown key"),
    (bank_with(account=None), "importers[1].account: is missing"),
    (bank_with(currency=None), "importers[1].currency: is missing"),
    (bank_with(type="- name: checking"), "importers[1].type: is missing"),
    (bank_with(columns=None, date=None, amount=None), "importers[1].columns: is missing"),
    (bank_with(date=None), "importers[1].columns.date: is missing: which column holds it?"),
    (bank_with(amount=None),
     "importers[1].columns.amount: is missing: give the amount column, or debit and credit"),
    (BANK + COLUMN + "credit: Credit\n", "importers[1].columns.amount: and debit/credit are both"),
    (bank_with(amount="debit: D") + COLUMN + "sign: S\n",
     "importers[1].columns.sign: goes with an amount column"),
])
def test_unknown_and_missing_keys(tmp_path, text, expected):
    assert error_of(tmp_path, text).startswith(expected)


def test_debit_alone_or_credit_alone_is_enough(tmp_path):
    (bank,) = load_config(write(tmp_path, bank_with(amount="debit: Debit"))).importers
    assert (bank.columns.debit, bank.columns.amount) == ("Debit", None)


@pytest.mark.parametrize("text, expected", [
    ("- a list\n", "must be a mapping (key: value), not a list"),
    ("importers: {type: bank}\n", "importers: must be a list, not a mapping (key: value)"),
    ("importers: [bank]\n", "importers[1]: must be a mapping (key: value), not 'bank'"),
    (BANK + KEY + "csv: {skip_lines: three}\n",
     "importers[1].csv.skip_lines: must be a whole number, not 'three'"),
    (BANK + KEY + "csv: {skip_lines: true}\n",
     "importers[1].csv.skip_lines: must be a whole number, not true (true/false)"),
    (BANK + KEY + "csv: {skip_lines: -1}\n", "importers[1].csv.skip_lines: must be 0 or more"),
    (BANK + KEY + "  payee: true\n",
     "importers[1].columns.payee: must be a column name or a position"),
    (BANK + KEY + "  payee: 0\n", "importers[1].columns.payee: position 0: the first column is 1"),
    (BANK + KEY + "  narration: []\n", "importers[1].columns.narration: is an empty list"),
    (BANK + KEY + "csv: {decimal: ',,'}\n",
     "importers[1].csv.decimal: must be one character, not ',,'"),
    (BANK + KEY + "csv: {decimal: ','}\n",
     "importers[1].csv.decimal: decimal and thousands separators are both ','"),
    (BANK + KEY + "csv: {encoding: klingon}\n",
     "importers[1].csv.encoding: unknown encoding 'klingon'"),
    (BANK + KEY + "csv: {date_format: 'DD.MM.YYYY'}\n",
     "importers[1].csv.date_format: 'DD.MM.YYYY' has no strptime codes"),
    (bank_with(account="account: bank checking"),
     "importers[1].account: 'bank checking' is not an account name"),
    (bank_with(currency="currency: usd"), "importers[1].currency: 'usd' is not a currency"),
    (bank_with(type="- type: paypal"),
     "importers[1].type: unknown importer type 'paypal'; the types are bank, patronage, roster"),
    (BANK + KEY + "balances: weekly\n", "importers[1].balances: must be last or daily"),
    (BANK + KEY + "filename: 'statements/*.csv'\n",
     "importers[1].filename: 'statements/*.csv': a pattern for the file name only"),
    (bank_with(date="date: 1", amount="amount: 2"),
     "importers[1].filename: is missing: with columns given only by position"),
    (BANK + BANK.split("importers:\n")[1],
     "importers[2].name: 'bank:Assets:Bank:Checking' is also the name of importers[1]"),
    (BANK + KEY + "sign_values: {debit: [S]}\n",
     "importers[1].sign_values: is only used with columns.sign"),
])
def test_wrong_values_and_types(tmp_path, text, expected):
    assert error_of(tmp_path, text).startswith(expected)


@pytest.mark.parametrize("matching, expected", [
    ("references: [{pattern: '(unclosed'}]",
     "matching.references[1].pattern: '(unclosed' is not a regular expression"),
    ("references: [{pattern: 'x', to: fees}]",
     "matching.references[1].to: 'fees' is not dues, receivable, payable, shares:<Class> or "
     "an account name"),
    ("references: [{pattern: 'x', to: 'shares:'}]",
     "matching.references[1].to: 'shares:' names no valid share class"),
    ("references: [{pattern: 'x', member: ana}]",
     "matching.references[1].member: 'ana' is not a member key"),
    ("references: [{pattern: 'x (?P<member>\\w+)', member: Ana}]",
     "matching.references[1].member: and a (?P<member>...) group"),
    ("references: [{pattern: 'x', member: Ana, to: Assets:Clients:A}]",
     "matching.references[1].to: 'Assets:Clients:A' is an account"),
    ("references: [{patern: 'x'}]", "matching.references[1].patern: unknown key"),
    ("references: [{to: dues}]", "matching.references[1].pattern: is missing"),
    ("accounts: {0042117734: Chloe}",
     "matching.accounts: put each account number in quotes: YAML read the one for 'Chloe' "
     "as the number 8953820"),
    ("names: {'A SOUZA': 12}", "matching.names.A SOUZA: 12 is not a member key"),
    ("unknown_inflow: unknown", "matching.unknown_inflow: 'unknown' is not an account name"),
    ("inflow: fees", "matching.inflow: 'fees' is not dues"),
    ("rules: []", "matching.rules: unknown key"),
])
def test_matching_mistakes(tmp_path, matching, expected):
    assert error_of(tmp_path, f"matching: {{{matching}}}\n" + BANK).startswith(
        expected)
    # The same mistake under an importer's own matching names that importer.
    own = error_of(tmp_path, BANK + KEY + f"matching: {{{matching}}}\n")
    assert own.startswith("importers[1]." + expected)


def test_yaml_syntax_errors_name_the_line(tmp_path):
    message = error_of(tmp_path, BANK + KEY + "csv:\n          date_format: %d.%m.%Y\n")
    assert re.match(r"line 9, column \d+: is not valid YAML: .*'%'", message)
    assert 'a value starting with % must be in quotes: "%d.%m.%Y"' in message


def test_missing_and_empty_files(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ImportConfigError, match=f"^{re.escape(str(missing))}: cannot be read"):
        load_config(missing)
    assert error_of(tmp_path, "") == "is empty; it needs an `importers:` list"
    assert error_of(tmp_path, "importers: []\n") == "importers: is an empty list"
    assert error_of(tmp_path, "matching: {}\n") == "importers: is missing"


# --- every mistake at once -------------------------------------------------------------------

def test_every_mistake_is_reported_at_once_with_its_key_path(tmp_path):
    path = write(tmp_path, """\
        matching:
          inflow: nowhere
        importers:
          - type: bank
            account: Assets:Bank:Checking
            currency: usd
            csv: {decimal: ",,", colour: red}
            columns: {amount: Amount}
          - type: patronage
            columns: {member: Grower, date: Date}
          - type: roster
            filename: "a/b.csv"
            columns: {key: Key, name: Name, joined: Joined}
        """)
    with pytest.raises(ImportConfigError) as raised:
        load_config(path)
    keys = [error.key for error in raised.value.errors]
    assert keys == ["matching.inflow", "importers[1].currency", "importers[1].columns.date",
                    "importers[1].csv.colour", "importers[1].csv.decimal",
                    "importers[2].measure", "importers[2].columns.quantity",
                    "importers[3].filename"]
    lines = str(raised.value).splitlines()
    assert len(lines) == len(keys)
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_one_mistake_reads_as_before(tmp_path):
    message = error_of(tmp_path, """\
        importers:
          - type: bank
            account: Assets:Bank:Checking
            currency: USD
            columns: {date: Date, amount: Amount}
            positive: sideways
        """)
    assert message == "importers[1].positive: must be inflow or outflow, not 'sideways'"


# --- the JSON Schema editors use -------------------------------------------------------------

SCHEMA = Path(config_module.__file__).with_name("import.schema.json")


def schema_errors(document) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    return [error.message for error in validator.iter_errors(document)]


@pytest.mark.parametrize("example", ["yogurt-coop", "dev-coop", "growers-coop"])
def test_the_schema_accepts_the_examples(example):
    document = yaml.safe_load((EXAMPLES / example / "import.yaml").read_text())
    assert schema_errors(document) == []


def test_the_schema_refuses_what_the_checker_refuses():
    good = {"importers": [{"type": "bank", "account": "Assets:Bank:Checking", "currency": "USD",
                           "columns": {"date": "Date", "amount": "Amount"}}]}
    assert schema_errors(good) == []
    for broken in ({"colour": "red"}, {"currency": "usd"}, {"positive": "sideways"},
                   {"csv": {"decimal": ",,"}}, {"columns": {"amount": "Amount"}}):
        importer = {**good["importers"][0], **broken}
        assert schema_errors({"importers": [importer]}), broken


def test_the_schema_knows_every_key_the_checker_knows():
    defs = json.loads(SCHEMA.read_text())["$defs"]
    assert set(defs["bank"]["properties"]["columns"]["properties"]) == set(
        config_module.BANK_COLUMNS)
    assert set(defs["matching"]["properties"]) == set(config_module.MATCHING_KEYS)
    assert set(config_module.COMMON) <= set(defs["roster"]["properties"])
    assert set(defs["csv"]["properties"]) == set(config_module.CsvFormat.__dataclass_fields__)
    from coop_beancount.importers import till

    assert set(defs["till"]["properties"]["columns"]["properties"]) == {*till.REQUIRED,
                                                                       *till.OPTIONAL}
    assert set(defs["till"]["properties"]["preset"]["enum"]) == set(till.PRESETS)
    assert set(defs["till"]["properties"]["period"]["enum"]) == set(till.PERIODS)
    for kind, (required, optional) in (("timesheet", config_module.TIMESHEET_COLUMNS),
                                       ("payroll", config_module.PAYROLL_COLUMNS)):
        columns = defs[kind]["properties"]["columns"]
        assert set(columns["properties"]) == {*required, *optional}
        assert set(columns["required"]) == set(required)
    from coop_beancount.importers.payroll import ACCOUNTS

    assert set(defs["payroll"]["properties"]["accounts"]["properties"]) == set(ACCOUNTS)
    assert {d["$ref"].rsplit("/", 1)[1] for d in json.loads(SCHEMA.read_text())[
        "properties"]["importers"]["items"]["oneOf"]} == set(config_module.TYPES)


def test_the_schema_refuses_the_timesheet_and_payroll_mistakes_the_checker_refuses():
    sheet = {"type": "timesheet", "columns": {"date": "D", "member": "M", "client": "C",
                                              "hours": "H"}}
    pay = {"type": "payroll", "currency": "USD", "columns": {
        "date": "D", "member": "M", "gross": "G", "net": "N", "employer_taxes": "E"}}
    assert schema_errors({"importers": [sheet, pay]}) == []
    no_hours = {**sheet, "columns": {"date": "D", "member": "M", "client": "C"}}
    fee_no_currency = {**sheet, "columns": {**sheet["columns"], "fee": "F"}}
    no_net = {**pay, "columns": {k: v for k, v in pay["columns"].items() if k != "net"}}
    bad_account = {**pay, "accounts": {"wages": "wages"}}
    for broken in (no_hours, fee_no_currency, no_net, bad_account,
                   {**pay, "currency": None}):
        broken = {k: v for k, v in broken.items() if v is not None}
        assert schema_errors({"importers": [broken]}), broken
        with pytest.raises(config_module.ImportConfigError):
            config_module.parse_config("import.yaml", {"importers": [broken]})


def test_the_schema_is_shipped_with_the_package():
    import configparser

    config = configparser.ConfigParser()
    config.read(EXAMPLES.parent / "setup.cfg")
    assert SCHEMA.name in config["options.package_data"]["coop_beancount.importers"]
