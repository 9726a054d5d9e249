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
    from fava.application import create_app
    from fava.core import FavaLedger

    from coop_beancount.cli.books import ledger_slug, quick_fava_loads

    # Fava's own load_file for this test (an earlier test may have run `coop serve` in this
    # process, which wraps it for good); put back as it was after.
    load_file = FavaLedger.load_file
    if getattr(load_file, "collector_kept_out", False):
        load_file = load_file.__wrapped__
    monkeypatch.setattr(FavaLedger, "load_file", load_file)
    books = tmp_path / "main.beancount"
    books.write_text(BOOKS)
    urls = [f"/{ledger_slug(books)}/api/{name}" for name in ("income_statement", "errors")]

    def pages():
        client = create_app([str(books)], load=True).test_client()
        return [client.get(url).get_data() for url in urls]

    gc.unfreeze()
    plain = pages()
    assert gc.get_freeze_count() == 0
    quick_fava_loads()
    quick_fava_loads()  # once is enough: not wrapped twice
    assert not FavaLedger.load_file.__wrapped__.__dict__.get("collector_kept_out")
    assert pages() == plain
    assert gc.get_freeze_count() > 1000
    assert gc.isenabled()
