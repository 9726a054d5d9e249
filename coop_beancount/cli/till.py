"""`coop import till`: a point of sale's till lines into each owner's patronage per period.

    coop import till BOOKS FILES... --dry-run            what would be written; nothing is
    coop import till BOOKS FILES... --to FILE            write the periods' records to FILE
    coop import till BOOKS FILES... --to FILE --replace  a period imported before, re-imported

FILES are till exports (CSV or Parquet, or folders of them) read by a `type: till`
importer of import.yaml (importers/till.py; docs/importing.md). The files given together
are a whole period's lines (or several periods'): importing a period again replaces its
records for the measure; when its totals changed, what changed is shown and nothing is
written without --replace. Every write is checked first and atomic (books.loading).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import click

from coop_beancount.books.collector import kept_out
from coop_beancount.books.directives import is_coop_directive, read_records
from coop_beancount.books.loading import Loaded
from coop_beancount.cli.common import WAIT, append_to_books, writing
from coop_beancount.cli.imports import CONFIG, CONFIG_NAME, _check_target, _load_clean, import_group
from coop_beancount.core.periods import ONE_DAY
from coop_beancount.importers.csvformat import ImportFileError
from coop_beancount.importers.till import (
    Change,
    TillImporter,
    TillTotals,
    changes,
    held,
    money,
    read_till,
    records_text,
)
from coop_beancount.reports.output import table
from coop_beancount.reports.patronage import fiscal_calendar

#: Unknown owner numbers, and changes, listed (the rest are counted).
SHOWN = 20
SUFFIXES = (".csv", ".csv.gz", ".parquet")


def _files(paths: tuple[Path, ...]) -> list[Path]:
    """The till files: each file named, and the CSV and Parquet files in each folder."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()
                                and p.name.lower().endswith(SUFFIXES)
                                and not p.name.startswith(".")))
        else:
            found.append(path)
    if not found:
        raise click.ClickException("no till file (CSV or Parquet) in " +
                                   ", ".join(map(str, paths)))
    return found


def _importer(books: Path, config: Path | None, name: str | None,
              files: list[Path]) -> TillImporter:
    from coop_beancount.importers.config import ImportConfigError, load_config

    path = config or books.parent / CONFIG_NAME
    if not path.is_file():
        raise click.ClickException(
            f"no import configuration: {path} does not exist; write one with a `type: till` "
            "importer (docs/importing.md) or name it with --config")
    try:
        tills = load_config(path).tills
    except ImportConfigError as error:
        raise click.ClickException(str(error)) from None
    if not tills:
        raise click.ClickException(f"{path} configures no till importer (type: till)")
    if name is not None:
        chosen = [t for t in tills if t.name == name]
        if not chosen:
            raise click.ClickException(f"{path} has no till importer named {name!r} (it has "
                                       f"{', '.join(t.name for t in tills)})")
        importer = chosen[0]
        problems = [f"{f}: {why}" for f in files if (why := importer.mismatch(f))]
        if problems:
            raise click.ClickException("\n".join(problems))
        return importer
    fitting = [t for t in tills if all(t.identify(f) for f in files)]
    if len(fitting) == 1:
        return fitting[0]
    if fitting:
        raise click.ClickException(
            f"the files fit more than one till importer ({', '.join(t.name for t in fitting)})"
            "; name one with --importer")
    reasons = "\n".join(f"  {t.name}: {f}: {why}" for t in tills for f in files
                        if (why := t.mismatch(f)))
    raise click.ClickException(f"no till importer of {path} reads these files:\n{reasons}")


def _read(importer: TillImporter, files: list[Path], loaded: Loaded) -> TillTotals:
    records, _ = read_records(e for e in loaded.entries if is_coop_directive(e))
    if importer.measure not in records.measures:
        raise click.ClickException(
            f"the books declare no measure {importer.measure!r}; add "
            f'custom "coop-measure" "{importer.measure}" (the till importer '
            f"{importer.name!r} writes its records in it)")
    calendar = fiscal_calendar(loaded.options)
    if importer.period != "month" and (calendar.end(2001) + ONE_DAY).day != 1:
        raise click.ClickException(
            f"period: {importer.period} counts whole months from the fiscal year's start, "
            f"but the fiscal year ends on {calendar.end_month:02d}-{calendar.end_day:02d}; "
            "use period: month")
    first_month = calendar.end_month % 12 + 1
    label = f"Reading {len(files)} till file(s)"
    with click.progressbar(length=1000, label=label, file=sys.stderr) as bar:
        def progress(done: float) -> None:
            bar.update(int(done * 1000) - bar.pos)

        try:
            return read_till(importer, files, records.members.values(), first_month, progress)
        except ImportFileError as error:
            raise click.ClickException(str(error)) from None


def _summary(totals: TillTotals) -> None:
    rows = []
    for index, period in totals.periods.items():
        owners = totals.owners(index)
        rows.append({
            "period": period.label, "lines": period.lines,
            "days": f"{period.first_day} to {period.last_day}", "owners": owners,
            "owner": money(totals.owner_total(index)),
            "other": money(totals.non_member(index))})
    click.echo(table(rows, [("period", "Period"), ("lines", "Lines"), ("days", "Days"),
                            ("owners", "Owners"), ("owner", f"Owners' {totals.measure}"),
                            ("other", "Non-member")]), nl=False, err=True)
    for kind, what in (("unknown", "owner numbers the books do not know (counted as "
                                   "non-member business)"),
                       ("inactive", "members with sales outside their membership (those "
                                    "sales counted as non-member business)")):
        listed = totals.listed(kind)
        if listed:
            click.echo(f"{len(listed)} {what}:", err=True)
            for owner, lines, total in listed[:SHOWN]:
                click.echo(f"  {owner}: {lines} line(s), {money(total)}", err=True)
            if len(listed) > SHOWN:
                click.echo(f"  ... and {len(listed) - SHOWN} more", err=True)


def _show_changes(found: list[Change]) -> None:
    def shown(number: Decimal | None) -> str:
        return "" if number is None else money(number)

    zero = Decimal(0)
    rows = [{"period": c.period, "key": c.key, "before": shown(c.before),
             "after": shown(c.after),
             "change": money((c.after or zero) - (c.before or zero))} for c in found[:SHOWN]]
    click.echo(table(rows, [("period", "Period"), ("key", "Owner"), ("before", "Before"),
                            ("after", "After"), ("change", "Change")]), nl=False, err=True)
    if len(found) > SHOWN:
        click.echo(f"... and {len(found) - SHOWN} more changes", err=True)


@import_group.command("till")
@click.argument("books", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                metavar="BOOKS")
@click.argument("files", nargs=-1, required=True, metavar="FILES...",
                type=click.Path(exists=True, path_type=Path))
@click.option("--to", "target", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Write the periods' records to this file of the books.")
@click.option("--dry-run", is_flag=True, help="Print the records; write nothing.")
@click.option("--replace", is_flag=True,
              help="Replace periods the books hold already with different totals.")
@click.option("--importer", "name", help="The till importer of import.yaml to use (when "
              "the files fit more than one).")
@WAIT
@CONFIG
def till_command(books: Path, files: tuple[Path, ...], target: Path | None, dry_run: bool,
                 replace: bool, name: str | None, wait: float, config: Path | None) -> None:
    """Each owner's purchases per period, from till exports (FILES: CSV or Parquet).

    The lines are added up by DuckDB with the statement in
    coop_beancount/importers/till.sql, as import.yaml's `type: till` importer
    says (columns, departments left out, non-owner numbers, the period). Each
    period gets one coop-patronage record per owner and one
    coop-non-member-business total; owner numbers the books do not know are
    listed. A period the books already hold is replaced: if its totals changed,
    the changes are listed and nothing is written without --replace.

    \b
    Example:
      coop import till main.beancount tills/2026-01.csv --dry-run
      coop import till main.beancount tills/2026-01.csv --to purchases-2026.beancount
    """
    with kept_out():
        if target is None or dry_run:
            _till(books, files, target, dry_run, replace, name, config)
            return
        # Held from before the books are read until the write: a second writer waits.
        with writing(books, wait):
            _till(books, files, target, dry_run, replace, name, config)


def _till(books: Path, paths: tuple[Path, ...], target: Path | None, dry_run: bool,
          replace: bool, name: str | None, config: Path | None) -> None:
    files = _files(paths)
    importer = _importer(books, config, name, files)
    write = target is not None and not dry_run
    if not write and not dry_run:
        raise click.ClickException("say where the records go (--to FILE, a file of the "
                                   "books), or pass --dry-run")
    loaded = _load_clean(books, dry_run=not write)
    if target is not None:
        _check_target(loaded, target)
    totals = _read(importer, files, loaded)
    _summary(totals)
    before = held(loaded.entries, totals)
    text = records_text(totals)
    count = len(totals.records)
    if before.entries:
        found = changes(before, totals)
        if not found:
            click.echo("These periods are in the books already, with the same totals: "
                       "nothing was written.", err=True)
            return
        click.echo(f"The books hold these periods already ({len(before.entries)} "
                   "records); with this import:", err=True)
        _show_changes(found)
        if not replace and not dry_run:
            raise click.ClickException(
                f"{len(found)} figure(s) would change (above), so nothing was written; pass "
                "--replace to replace the periods' records")
    if not write:
        click.echo(text, nl=False)
        click.echo(f"Dry run: {count} owner records would be written; nothing was written.",
                   err=True)
        return
    assert target is not None
    elsewhere = [e for e in before.entries
                 if Path(e.meta.get("filename", "")).resolve() != target.resolve()]
    if elsewhere:
        where = ", ".join(f"{e.meta.get('filename')}:{e.meta.get('lineno')}"
                          for e in elsewhere[:5])
        raise click.ClickException(
            f"{len(elsewhere)} record(s) of these periods are not in {target} ({where}); "
            f"move them there or delete them, so that the import can replace them")
    append_to_books(loaded, target, text, "the till's records",
                    removed=[e.meta["lineno"] for e in before.entries])
    verb = "Replaced the periods' records with" if before.entries else "Wrote"
    click.echo(f"{verb} {count} owner records and {len(totals.periods)} non-member totals "
               f"in {target}; the books check clean.", err=True)
