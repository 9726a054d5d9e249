"""Reviewing a change: `coop diff`.

    coop diff BOOKS [--from REV --to REV]   what a change (git) does to members' money
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from coop_beancount.books.loading import format_error, load_books
from coop_beancount.cli.common import (
    BOOKS,
    FORMAT,
    main,
)
from coop_beancount.reports.output import render
from coop_beancount.reports.view import CoopBooks

DIFF_COLUMNS = [("member", "Member"), ("name", "Name"), ("figure", "Figure"),
                ("before", "Before"), ("after", "After"), ("change", "Change")]


@main.command("diff")
@click.argument("books", type=click.Path(dir_okay=False, path_type=Path), metavar="BOOKS")
@click.option("--from", "from_revision", default="HEAD", show_default=True, metavar="REV",
              help="The books before the change: a commit, branch or tag (HEAD~1, a hash...).")
@click.option("--to", "to_revision", metavar="REV",
              help="The books after the change [default: the working tree, as it is now].")
@FORMAT
def diff_command(books: Path, from_revision: str, to_revision: str | None, fmt: str) -> None:
    """What a change to the books does to members' money.

    Loads BOOKS (kept in git) at two revisions, by default HEAD and the working
    tree, so a reviewer sees the money effect of a change before it is
    committed; `--from A~1 --to A` shows what commit A did. For each member
    whose money changes it lists the figures that change (shares paid in, dues
    owed, other amounts owed, what the co-op owes them, capital, retained
    patronage equity), before, after and the change; then the co-op's totals.
    Both sides must check clean. The repository is not touched: a revision is
    read into a temporary folder. A main file renamed or moved by the change
    (`git mv`) is read by its old name on the before side.

    \b
    Example:
      coop diff main.beancount                          # before you commit
      coop diff main.beancount --from HEAD~1 --to HEAD  # what the last commit did
      coop diff main.beancount --from v2025 --format csv
    """
    from coop_beancount.books.revisions import (
        RevisionError,
        checked_out,
        commit_of,
        path_before,
        repository,
    )
    from coop_beancount.reports.diff import TOTAL, compare, joined_and_gone

    after_label = to_revision or "the working tree"
    try:
        top, relative = repository(books)
        after_commit = commit_of(top, to_revision) if to_revision else None
        before_commit = commit_of(top, from_revision)
        # The main file renamed or moved by the change: the before side is read by its
        # old name.
        old = path_before(top, relative, before_commit, after_commit)
        if old != relative:
            click.echo(f"{relative} was {old} at {from_revision}.", err=True)
        with checked_out(top, before_commit) as folder:
            before = _money_at(folder, old, from_revision)
        if after_commit is None:
            after = _money_at(None, books, after_label)
        else:
            with checked_out(top, after_commit) as folder:
                after = _money_at(folder, relative, after_label)
    except RevisionError as exc:
        raise click.ClickException(str(exc)) from None
    changes = compare(before, after)
    table = fmt == "table"
    rows = [{"member": change.member if change.member != TOTAL else "Total", "name": change.name,
             "figure": change.heading, "before": change.before, "after": change.after,
             "change": _signed(change.change) if table else change.change}
            for change in changes]
    if not table:
        click.echo(render(rows, DIFF_COLUMNS, fmt), nl=False)
        return
    if not rows:
        click.echo(f"No member's money changes from {from_revision} to {after_label}.")
        return
    click.echo(f"Members' money, {from_revision} -> {after_label}:")
    click.echo()
    click.echo(render(rows, DIFF_COLUMNS, fmt), nl=False)
    joined, gone = joined_and_gone(before, after)
    for label, keys in (("New members", joined), ("No longer in the books", gone)):
        if keys:
            click.echo(f"{label}: {', '.join(keys)}.")


def _money_at(folder: Path | None, books: Path | str, label: str) -> dict[str, Any]:
    """Every member's money in the books at `folder / books` (or `books`), or a clean error
    naming the revision and each problem's file and line."""
    from coop_beancount.reports.diff import member_money

    path = Path(folder, books) if folder is not None else Path(books)
    if not path.is_file():
        raise click.ClickException(f"{label}: there is no {books}")
    loaded = load_books(path)
    if loaded.errors:
        for error in loaded.errors[:5]:
            line = format_error(error)
            if folder is not None:
                line = line.replace(f"{folder.resolve()}/", "").replace(f"{folder}/", "")
            click.echo(f"{label}: {line}", err=True)
        raise click.ClickException(
            f"the books at {label} do not check clean ({len(loaded.errors)} error(s), above), "
            "so their figures cannot be compared")
    return member_money(CoopBooks.from_entries(loaded.entries, loaded.options))


def _signed(money: dict[str, Decimal]) -> str:
    return ", ".join(f"{number:+,} {currency}" for currency, number in sorted(money.items()))


@main.command("hook")
@BOOKS
def hook_command(books: Path) -> None:
    """Check BOOKS before every commit.

    Installs (or updates) coop's pre-commit hook in the git repository that
    holds BOOKS, and records BOOKS as the main file it checks (the setting
    `git config coop.books`, which `coop init` writes). Run it after renaming
    or moving the main file: until then the hook refuses every commit, saying
    it cannot find the books.

    \b
    Example:
      git mv main.beancount books.beancount && coop hook books.beancount
    """
    from coop_beancount.books.revisions import RevisionError, repository
    from coop_beancount.books.starter import InitError, install_hook

    try:
        top, relative = repository(books)
        install_hook(top, relative)
    except (RevisionError, InitError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"The pre-commit hook of {top} checks {relative} before every commit.")
