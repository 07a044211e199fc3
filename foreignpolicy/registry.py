"""The record kinds that move in and out as files, by the name the commands use.

Named by dotted path, so that this base package does not import the apps built on it.
"""

from django.utils.module_loading import import_string

# In the order their references run (agreements name directorates; events name both), the
# order in which a restore imports them.
RESOURCES = {
    "directorates": "directorates.resources.DirectorateResource",
    "agreements": "agreements.resources.AgreementResource",
    "events": "events.resources.EventResource",
}


def resource_for(kind):
    return import_string(RESOURCES[kind])()


def resource_for_model(model):
    for kind in RESOURCES:
        resource = resource_for(kind)
        if resource._meta.model is model:
            return resource
    raise LookupError(f"No import format for {model._meta.label}.")
