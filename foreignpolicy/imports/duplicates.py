"""Likely duplicates: a new row that looks like a record already there, or like another
new row of the same file. A warning for the person importing, not an error."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from ..text import normalise
from .problems import Problem
from .reading import NEW


def comparable(value):
    if isinstance(value, str):
        return normalise(value)
    return value


class SameValues:
    """Records whose fields hold the same values (text compared ignoring case, accents and
    punctuation; empty values never match)."""

    def __init__(self, reason, *fields):
        self.reason = reason
        self.fields = fields

    def key(self, values):
        key = tuple(comparable(value) for value in values)
        return key if all(part not in (None, "") for part in key) else None

    def row_key(self, row):
        return self.key(getattr(row.instance, name) for name in self.fields)

    def existing_keys(self, model):
        for pk, *values in model.objects.values_list("pk", *self.fields).iterator(chunk_size=5000):
            key = self.key(values)
            if key is not None:
                yield key, pk


def likely_duplicates(rows, rules, model):
    """Warnings for new rows that may repeat a record, each naming the record it resembles."""
    new_rows = [row for row in rows if row.action == NEW and row.instance is not None]
    if not new_rows or not rules:
        return []
    warnings, resembled = [], {}
    for rule in rules:
        existing = {}
        for key, pk in rule.existing_keys(model):
            existing.setdefault(key, pk)
        earlier = {}
        for row in new_rows:
            key = rule.row_key(row)
            if key is None:
                continue
            if key in existing:
                resembled.setdefault(row.number, []).append((existing[key], rule.reason))
            elif key in earlier:
                warnings.append(
                    Problem(
                        row.number,
                        "",
                        _("Possibly the same as row %(row)d of this file: %(reason)s.")
                        % {"row": earlier[key], "reason": rule.reason},
                        warning=True,
                    )
                )
            else:
                earlier[key] = row.number
    records = model.objects.in_bulk({pk for matches in resembled.values() for pk, _reason in matches})
    for number, matches in resembled.items():
        for pk, reasons in group_reasons(matches).items():
            record = records[pk]
            warnings.append(
                Problem(
                    number,
                    "",
                    _("Possibly the same as “%(record)s” (%(slug)s), already here: %(reason)s.")
                    % {"record": record, "slug": record.slug, "reason": _(", and ").join(reasons)},
                    warning=True,
                    link=admin_link(record),
                )
            )
    return warnings


def group_reasons(matches):
    grouped = {}
    for pk, reason in matches:
        if str(reason) not in grouped.setdefault(pk, []):
            grouped[pk].append(str(reason))
    return grouped


def admin_link(record):
    try:
        return reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_change", args=[record.pk])
    except NoReverseMatch:
        return ""
