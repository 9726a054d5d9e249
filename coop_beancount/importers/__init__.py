"""Importers for the bookkeeper: bank statements, patronage records, member rosters.

All are beangulp importers, configured from `import.yaml` in the books
(see docs/importing.md), so `coop import`, beangulp scripts and Fava's import
page use the same ones.
"""
