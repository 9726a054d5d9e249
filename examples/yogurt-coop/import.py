"""Fava's import page: the importers `coop import` uses, from import.yaml beside this file."""

from pathlib import Path

from coop_beancount.importers.config import load_config

CONFIG = load_config(Path(__file__).with_name("import.yaml")).importers

if __name__ == "__main__":
    # A beangulp script too: python import.py extract imports/ -e main.beancount
    from beangulp import Ingest

    Ingest(CONFIG)()
