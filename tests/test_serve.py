"""`coop serve` starts Fava on the books, on 127.0.0.1, and shows the co-op's accounts."""

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
