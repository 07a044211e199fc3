"""Backups: every record and every vocabulary, as a zip of CSV files in the documented
format, and their restore into an empty database (docs/csv-format.md, "Backups").

A module per stage: `layout` says what a backup holds, `writing` writes one as the
database is read, `archive` opens one within limits, `restoring` loads one, the records
through the import pipeline.
"""
