"""The one import pipeline, used by the admin, by `manage.py import_csv` and by undo.

It runs along the flow, each stage a module handing plain data to the next:

read (reading) → resolve (resolving) → check (checking) → diff (diffing) → write (writing)

Every cell is read, every name looked up in bulk, every row compared with the record it
updates, and only when no row has a problem is anything written, in bulk, in one
transaction. Every problem names its row and column; a file with any problem writes
nothing. A new record kind needs only its resource (its columns, and any checks across
rows it wants) — see foreignpolicy.importing.RecordResource.
"""
