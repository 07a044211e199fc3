"""What a backup holds, file by file, and the limits of one file.

- a CSV file per vocabulary, its columns the model's own fields, one entry a row;
- the records of each kind in the import format, exactly as `export_csv` writes them,
  in as many files as one import's limits need (a file ends after ROWS_PER_FILE rows
  or half of IMPORT_MAX_XLSX_UNPACKED_BYTES, the most a restore unpacks of one file);
- the records' previous slugs, so that their old addresses keep answering 301;
- manifest.json: the format and its version, when and from which commit the backup was
  made, and each file with what it holds and how many rows.
"""

from dataclasses import dataclass
from functools import cached_property

from django.apps import apps
from django.conf import settings

from ..models import record_links
from ..registry import RESOURCES

FORMAT = "foreignpolicy-backup"
VERSION = 1
MANIFEST = "manifest.json"
# A restore of 300,000 agreements, three files of 100,000, peaked at 1.2 GB (make bench-backup).
ROWS_PER_FILE = 100_000
# A backup of 3 million agreements has some 40 files.
MAX_FILES = 1000
MAX_MANIFEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Vocabulary:
    """A reference list staff edit in the admin, kept whole: every entry, every field."""

    holds: str  # also the file's name, without .csv
    model_label: str  # by name, so that this base package does not import the apps

    @cached_property
    def model(self):
        return apps.get_model(self.model_label)

    @cached_property
    def columns(self):
        return [field.name for field in self.model._meta.concrete_fields if not field.auto_created]

    @cached_property
    def key(self):
        """The field that names an entry: a code or a slug."""
        return next(field.name for field in self.unique_fields if field.primary_key or field.name == "slug")

    @cached_property
    def unique_fields(self):
        return [field for field in self.model._meta.concrete_fields if field.unique and not field.auto_created]


# In the order a restore writes them: countries before organisations, whose acronyms may
# not be country codes.
VOCABULARIES = [
    Vocabulary("countries", "foreignpolicy.Country"),
    Vocabulary("agreement-statuses", "agreements.AgreementStatus"),
    Vocabulary("agreement-types", "agreements.AgreementType"),
    Vocabulary("event-types", "events.EventType"),
    Vocabulary("topics", "foreignpolicy.Topic"),
    Vocabulary("organisations", "foreignpolicy.Organisation"),
]
# Agreements' steps and participants in files of their own, after the agreements.
RECORD_KINDS = list(RESOURCES)
PREVIOUS_SLUGS = "previous-slugs"
# As an import that renames names them: the old slug, and the record's slug now.
PREVIOUS_SLUG_COLUMNS = ["kind", "previous_slug", "slug"]


def file_name(holds, number=1):
    """The name of a backup's file: what it holds and, from the second file of a kind on, its number."""
    return f"{holds}.csv" if number == 1 else f"{holds}-{number}.csv"


def rows_per_file():
    return min(ROWS_PER_FILE, settings.IMPORT_MAX_ROWS)


def bytes_per_file():
    return settings.IMPORT_MAX_XLSX_UNPACKED_BYTES // 2


def kept_in_one_file(model):
    """Records that name another of their kind as a foreign key (a directorate its parent)
    stay in one file, so that every record a row names is in the database or in the same
    file. Links to many of their kind (an agreement's relations) are restored apart
    (restoring.restore_records), so such files are cut as any other."""
    return any(field.related_model is model and not field.many_to_many for field in record_links(model))


# Columns a backup made before they existed lacks: its records are restored without them.
COLUMNS_ADDED_LATER = {
    "predecessors",
    "formed_on",
    "dissolved_on",
    "relations",
    "depositary_en",
    "depositary_es",
    "unts_number",
    "wto_rta_id",
    "aladi_number",
    "archive_code",
}
