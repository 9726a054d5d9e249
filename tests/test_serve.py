"""`coop serve` starts Fava on the books, on 127.0.0.1, and shows the co-op's accounts."""

import gc
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.test_cli import BOOKS


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url, deadline):
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.geturl(), response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_shows_member_accounts_in_fava(tmp_path):
    books = tmp_path / "main.beancount"
    books.write_text(BOOKS)
    port = free_port()
    coop = Path(sys.executable).with_name("coop")
    server = subprocess.Popen([str(coop), "serve", str(books), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        status, url, _ = fetch(f"http://127.0.0.1:{port}/", time.monotonic() + 60)
        assert status == 200
        slug = url.split("/")[3]
        status, _, page = fetch(f"http://127.0.0.1:{port}/{slug}/balance_sheet/",
                                time.monotonic() + 10)
        assert status == 200
        # Opened by the plugin, not by the ledger: Fava sees the derived entries.
        assert "Members:Alice:Dues" in page
        assert "Members:Bob:Shares:Member" in page
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_served_books_load_with_the_collector_kept_out(tmp_path, monkeypatch):
    """Fava's loads in `coop serve` freeze what they made; the pages show the same."""
    import fava.beans.funcs
    import fava.core.accounts
    from fava.application import create_app
    from fava.core import FavaLedger

    from coop_beancount.cli import books as cli_books
    from coop_beancount.cli.books import ledger_slug, quick_fava_loads

    # Fava's own load_file for this test (an earlier test may have run `coop serve` in this
    # process, which wraps it for good); put back as it was after.
    load_file = FavaLedger.load_file
    if getattr(load_file, "collector_kept_out", False):
        load_file = load_file.__wrapped__
    monkeypatch.setattr(FavaLedger, "load_file", load_file)
    monkeypatch.setattr(fava.core.accounts, "hash_entry", fava.beans.funcs.hash_entry)
    books = tmp_path / "main.beancount"
    books.write_text(BOOKS)
    urls = [f"/{ledger_slug(books)}/api/{name}" for name in ("income_statement", "errors")]

    def pages():
        client = create_app([str(books)], load=True).test_client()
        # Each account's last entry and its hash (Fava's links to it), from the load.
        last_entries = [(name, account.last_entry)
                        for name, account in FavaLedger(str(books)).accounts.items()]
        assert any(last for _, last in last_entries)
        return [client.get(url).get_data() for url in urls], last_entries

    gc.unfreeze()
    plain = pages()
    assert gc.get_freeze_count() == 0
    quick_fava_loads()
    quick_fava_loads()  # once is enough: not wrapped twice
    assert not FavaLedger.load_file.__wrapped__.__dict__.get("collector_kept_out")
    assert pages() == plain
    assert not cli_books._FAVA_HASHES  # no entry of a load held after it
    assert gc.get_freeze_count() > 1000
    assert gc.isenabled()


def test_served_loads_hash_an_entry_once(tmp_path, monkeypatch):
    """Fava's accounts index hashes the last entry of every account: in `coop serve` an
    entry that is the last of several accounts is hashed once per load, to the same hash."""
    import fava.beans.funcs
    import fava.core.accounts
    from fava.core import FavaLedger

    from coop_beancount.cli.books import _hashed_once

    books = tmp_path / "main.beancount"
    books.write_text(
        "2025-01-01 open Assets:Bank\n2025-01-01 open Expenses:Rent\n"
        "2025-01-01 open Expenses:Power\n"
        '2025-02-01 * "Rent and power"\n  Expenses:Rent  100.00 USD\n'
        "  Expenses:Power  20.00 USD\n  Assets:Bank\n")
    hashed = []

    def counting(entry):
        hashed.append(entry)
        return fava.beans.funcs.hash_entry(entry)

    monkeypatch.setattr(fava.core.accounts, "hash_entry", counting)
    plain = {name: account.last_entry for name, account in FavaLedger(str(books)).accounts.items()}
    assert len(hashed) == 3
    hashed.clear()
    hashes = {}
    monkeypatch.setattr(fava.core.accounts, "hash_entry", _hashed_once(counting, hashes))
    quick = {name: account.last_entry for name, account in FavaLedger(str(books)).accounts.items()}
    assert quick == plain
    assert len(hashed) == 1
    assert len(hashes) == 1


def test_a_save_in_served_fava_waits_for_the_books_write_lock(tmp_path, monkeypatch):
    """Fava's editor save, as `coop serve` runs Fava, takes the books' write lock: while
    another writer holds it the save waits and writes nothing; then it writes."""
    import threading

    from fava.application import create_app
    from fava.core.file import FileModule

    from coop_beancount.books.lock import books_locked
    from coop_beancount.cli.books import FAVA_WRITERS, locked_fava_writes

    for name in FAVA_WRITERS:  # put Fava's own methods back after the test
        monkeypatch.setattr(FileModule, name, getattr(FileModule, name))
    books = tmp_path / "main.beancount"
    books.write_text(BOOKS)
    locked_fava_writes(wait=30)
    locked_fava_writes(wait=30)  # once is enough: not wrapped twice
    assert not FileModule.set_source.__wrapped__.__dict__.get("books_locked")
    client = create_app([str(books)], load=True).test_client()
    url = "/" + client.get("/").headers["Location"].strip("/").split("/")[0] + "/api/source"
    source = client.get(url).get_json()["data"]
    saved = BOOKS + "\n; saved in Fava\n"
    answers = []

    def save():
        answers.append(client.put(url, json={"file_path": source["file_path"],
                                             "source": saved,
                                             "sha256sum": source["sha256sum"]}))

    with books_locked(books, timeout=5):
        saving = threading.Thread(target=save)
        saving.start()
        saving.join(timeout=1.0)
        assert saving.is_alive(), "the save did not wait for the lock"
        assert books.read_text() == BOOKS
    saving.join(timeout=30)
    assert not saving.is_alive()
    assert answers[0].status_code == 200, answers[0].get_data()
    assert books.read_text() == saved


def test_a_save_in_served_fava_gives_up_with_fava_s_error_when_the_lock_stays_held(
        tmp_path, monkeypatch):
    from fava.application import create_app
    from fava.core.file import FileModule

    from coop_beancount.books.lock import books_locked
    from coop_beancount.cli.books import FAVA_WRITERS, locked_fava_writes

    for name in FAVA_WRITERS:
        monkeypatch.setattr(FileModule, name, getattr(FileModule, name))
    books = tmp_path / "main.beancount"
    books.write_text(BOOKS)
    locked_fava_writes(wait=0.3)
    client = create_app([str(books)], load=True).test_client()
    url = "/" + client.get("/").headers["Location"].strip("/").split("/")[0] + "/api/source"
    source = client.get(url).get_json()["data"]
    with books_locked(books, timeout=5):
        answer = client.put(url, json={"file_path": source["file_path"], "source": "x",
                                       "sha256sum": source["sha256sum"]})
    assert answer.status_code != 200
    assert "another coop command has been writing the books" in answer.get_json()["error"]
    assert books.read_text() == BOOKS
