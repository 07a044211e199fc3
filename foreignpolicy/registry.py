"""The record kinds that move in and out as files, by the name the commands use.

Named by dotted path, so that this base package does not import the apps built on it.
"""

from django.utils.module_loading import import_string

from .imports.writing import unpack_undo_data

# In the order their references run (agreements name directorates; events name both), the
# order in which a restore imports them.
RESOURCES = {
    "directorates": "directorates.resources.DirectorateResource",
    "agreements": "agreements.resources.AgreementResource",
    "steps": "agreements.resources.StepResource",
    "participants": "agreements.resources.ParticipantResource",
    "events": "events.resources.EventResource",
}


# The kinds whose rows are records of their own, with their own addresses (and old ones);
# the others' rows are parts of agreements.
RECORDS = ("directorates", "agreements", "events")


def resource_for(kind):
    return import_string(RESOURCES[kind])()


def resource_for_model(model):
    for kind in RECORDS:
        resource = resource_for(kind)
        if resource._meta.model is model:
            return resource
    raise LookupError(f"No import format for {model._meta.label}.")


def resource_for_import(record):
    """The resource an import (an ImportRecord) was made with: its undo reads with it."""
    kind = (unpack_undo_data(record) or {}).get("kind")
    if kind in RESOURCES:
        return resource_for(kind)
    return resource_for_model(record.content_type.model_class())
