"""`coop diff`: the money effect of a change to the books, with real git in a temporary
repository; and the pure comparison behind it."""

import json
import textwrap
from decimal import Decimal

import pytest
from click.testing import CliRunner

from coop_beancount.cli import main
from coop_beancount.reports.diff import TOTAL, Change, MemberMoney, compare, joined_and_gone
from tests.test_init import git

MAIN = """\
    option "operating_currency" "USD"
    plugin "coop_beancount.plugins.coop" "{'as_of': '2025-12-31'}"
    include "members.beancount"
    include "2025.beancount"
    2025-01-01 open Assets:Bank USD
    2025-01-01 open Expenses:Supplies USD
    2025-01-01 open Income:Members:SharedCosts USD
    """
MEMBERS = """\
    2025-01-01 custom "coop-share-class" "Member" 20.00 USD
    2025-01-01 custom "coop-member" "Ana" "Ana Souza"
    2025-01-01 custom "coop-member" "Ben" "Ben Okafor"
    2025-01-01 custom "coop-member" "Cy" "Cy Park"
    2025-01-01 custom "coop-subscription" "Ana" "Member" 1
    """
YEAR = """\
    2025-01-05 * "Ana Souza" "Member share"
      Assets:Bank  20.00 USD
      Equity:Members:Ana:Shares:Member  -20.00 USD
    """
SPLIT = """
    2025-03-03 * "City Hardware" "Shelving, paid by Ana"
      Expenses:Supplies   100.00 USD
        split: "equal"
      Liabilities:Members:Ana:Payable  -100.00 USD
    """


def write(path, text):
    path.write_text(textwrap.dedent(text))


def commit(repo, message, *args):
    git(repo, "add", "--all")
    done = git(repo, "commit", "--quiet", *args, "-m", message)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "--quiet")
    write(tmp_path / "main.beancount", MAIN)
    write(tmp_path / "members.beancount", MEMBERS)
    write(tmp_path / "2025.beancount", YEAR)
    commit(tmp_path, "Books")
    return tmp_path


def diff(repo, *args):
    return CliRunner().invoke(main, ["diff", str(repo / "main.beancount"), *args])


def by_member(result):
    assert result.exit_code == 0, result.output
    return {(row["member"], row["figure"]): row for row in json.loads(result.output)}


def add_split(repo):
    year = repo / "2025.beancount"
    year.write_text(year.read_text() + textwrap.dedent(SPLIT))


def test_a_split_cost_shows_each_members_change_before_committing(repo):
    add_split(repo)
    rows = by_member(diff(repo, "--format", "json"))
    # 100.00 three ways: 33.33 or 33.34 each; Ana's own part is set off against her payable.
    ben, cy = rows[("Ben", "Other owed")], rows[("Cy", "Other owed")]
    parts = {"Ben": Decimal(ben["after"]["USD"]), "Cy": Decimal(cy["after"]["USD"])}
    parts["Ana"] = Decimal(100) - Decimal(rows[("Ana", "Co-op owes")]["change"]["USD"])
    assert set(parts.values()) <= {Decimal("33.33"), Decimal("33.34")}
    assert sum(parts.values()) == 100
    assert ben["before"] == cy["before"] == {}
    assert ben["change"] == ben["after"]
    assert rows[("Total", "Other owed")]["change"] == {"USD": str(parts["Ben"] + parts["Cy"])}
    # Nothing else moved: shares and capital are as they were.
    assert {figure for _, figure in rows} == {"Other owed", "Co-op owes"}
    assert ("Ana", "Other owed") not in rows
    # The working tree was only read.
    assert "Shelving" in (repo / "2025.beancount").read_text()
    assert git(repo, "status", "--porcelain").stdout.strip() == "M 2025.beancount"


def test_a_commit_is_compared_with_its_parent(repo):
    add_split(repo)
    commit(repo, "Shelving")
    # The working tree now matches HEAD: nothing to show...
    assert "No member's money changes from HEAD to the working tree" in diff(repo).output
    # ...and the commit itself shows the same as before it was made.
    table = diff(repo, "--from", "HEAD~1", "--to", "HEAD")
    assert table.exit_code == 0, table.output
    assert "Members' money, HEAD~1 -> HEAD:" in table.output
    ben = next(line for line in table.output.splitlines() if line.startswith("Ben"))
    assert "Other owed" in ben and "+33.3" in ben
    csv_rows = diff(repo, "--from", "HEAD~1", "--to", "HEAD", "--format", "csv").output
    assert csv_rows.splitlines()[0] == "member,name,figure,before,after,change"
    assert any(line.startswith("Cy,Cy Park,Other owed,0,33.3") for line in csv_rows.splitlines())


def test_a_commit_that_moves_no_money_says_so(repo):
    members = repo / "members.beancount"
    members.write_text(members.read_text() + '2025-02-01 custom "coop-hours" "Ben" 3 "shift"\n'
                       "; Ben's first shift\n")
    commit(repo, "Hours")
    result = diff(repo, "--from", "HEAD~1", "--to", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.output == "No member's money changes from HEAD~1 to HEAD.\n"
    assert json.loads(diff(repo, "--from", "HEAD~1", "--to", "HEAD", "--format",
                           "json").output) == []


def test_a_new_member_and_a_leaver(repo):
    members = repo / "members.beancount"
    members.write_text(members.read_text() + textwrap.dedent("""\
        2025-06-01 custom "coop-member" "Dora" "Dora Diaz"
        2025-06-30 custom "coop-leave" "Ana"
        """))
    result = diff(repo)
    assert result.exit_code == 0, result.output
    # Ana's paid-in share is redeemed on leaving: it moves from her capital to her payable.
    assert "New members: Dora." in result.output
    rows = by_member(diff(repo, "--format", "json"))
    assert rows[("Ana", "Capital")]["change"] == {"USD": "-20.00"}
    assert rows[("Ana", "Co-op owes")]["change"] == {"USD": "20.00"}
    assert not any(member == "Dora" for member, _ in rows)


def test_an_unknown_revision_is_a_clean_error(repo):
    result = diff(repo, "--from", "no-such-branch")
    assert result.exit_code == 1
    assert "unknown revision 'no-such-branch'" in result.output
    assert "Traceback" not in result.output
    assert diff(repo, "--to", "HEAD~5").exit_code == 1


def test_books_not_in_git_are_a_clean_error(tmp_path):
    write(tmp_path / "main.beancount", MAIN)
    result = CliRunner().invoke(main, ["diff", str(tmp_path / "main.beancount")])
    assert result.exit_code == 1
    assert "is not in a git repository" in result.output


def test_books_that_do_not_load_at_a_revision_name_it_and_the_line(repo):
    members = repo / "members.beancount"
    members.write_text(members.read_text() + '2025-03-01 custom "coop-hours" "Nobody" 1\n')
    commit(repo, "Broken, past any hook", "--no-verify")
    line = len(members.read_text().splitlines())
    members.write_text(textwrap.dedent(MEMBERS))  # fixed in the working tree only
    result = diff(repo)
    assert result.exit_code == 1
    assert f"HEAD: members.beancount:{line}: hours recorded for unknown member 'Nobody'" in (
        result.output)
    assert "the books at HEAD do not check clean" in result.output
    # The other way round: the working tree is at fault, named by its path.
    members.write_text(members.read_text() + '2025-03-01 custom "coop-hours" "Nobody" 1\n')
    broken = diff(repo, "--from", "HEAD~1")
    assert broken.exit_code == 1
    assert f"the working tree: {members}:" in broken.output


def test_books_missing_at_a_revision(repo):
    git(repo, "rm", "--quiet", "--cached", "main.beancount")
    assert git(repo, "commit", "--quiet", "-m", "Forget the main file").returncode == 0
    result = diff(repo, "--from", "HEAD")
    assert result.exit_code == 1
    assert "HEAD: there is no main.beancount" in result.output


# ---- the comparison, on plain figures ---------------------------------------------------------

def usd(number):
    return {"USD": Decimal(number)}


def test_compare_lists_only_what_changes_and_the_totals():
    before = {"Ana": MemberMoney("Ana", "Ana Souza", {"capital": usd("20.00"),
                                                       "other_owed": usd("5.00")}),
              "Ben": MemberMoney("Ben", "Ben Okafor", {"other_owed": usd("5.00")})}
    after = {"Ana": MemberMoney("Ana", "Ana Souza", {"capital": usd("20.00"),
                                                      "other_owed": usd("7.50")}),
             "Ben": MemberMoney("Ben", "Ben Okafor", {"other_owed": usd("2.50")}),
             "Cy": MemberMoney("Cy", "Cy Park", {"payable": usd("1.00")})}
    changes = compare(before, after)
    assert [(c.member, c.figure, c.change) for c in changes] == [
        ("Ana", "other_owed", usd("2.50")),
        ("Ben", "other_owed", usd("-2.50")),
        ("Cy", "payable", usd("1.00")),
        # Other owed moved between members only: the co-op's total did not change.
        (TOTAL, "payable", usd("1.00")),
    ]
    assert changes[2].before == {} and changes[2].heading == "Co-op owes"
    assert joined_and_gone(before, after) == (["Cy"], [])
    assert joined_and_gone(after, before) == ([], ["Cy"])
    assert compare(after, after) == []


def test_a_zero_balance_is_no_change():
    before = {"Ana": MemberMoney("Ana", "Ana Souza", {"dues_owed": usd("0.00")})}
    after = {"Ana": MemberMoney("Ana", "Ana Souza", {})}
    assert compare(before, after) == []
    assert Change("Ana", "Ana", "dues_owed", usd("5"), {}).change == usd("-5")


def test_books_in_a_folder_of_the_repository(tmp_path):
    git(tmp_path, "init", "--quiet")
    books = tmp_path / "books"
    books.mkdir()
    write(books / "main.beancount", MAIN)
    write(books / "members.beancount", MEMBERS)
    write(books / "2025.beancount", YEAR)
    (tmp_path / "README.md").write_text("Our co-op's books are in books/.\n")
    commit(tmp_path, "Books")
    add_split(books)
    rows = by_member(CliRunner().invoke(main, ["diff", str(books / "main.beancount"),
                                               "--format", "json"]))
    assert {member for member, _ in rows} == {"Ana", "Ben", "Cy", "Total"}
