"""Every package any requirements file installs is locked: one version and its hashes, so
that pip --require-hashes (the Makefile's) refuses anything else."""

import re
from pathlib import Path

import pytest
from django.conf import settings

LOCKED = ["requirements.txt", "requirements-dev.txt", "requirements-tools.txt"]
REQUIREMENT = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s\\]+)")


def requirements(text):
    """(name, version, hashes) of each requirement, its continuation lines joined."""
    for entry in re.sub(r"\\\n\s*", " ", text).splitlines():
        entry = entry.split("#", 1)[0].strip()
        if entry:
            match = REQUIREMENT.match(entry)
            yield entry, match and match.groups(), re.findall(r"--hash=sha256:[0-9a-f]{64}", entry)


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("name", LOCKED)
def test_every_requirement_has_one_version_and_its_hashes(name):
    entries = list(requirements((Path(settings.BASE_DIR) / name).read_text()))
    assert len(entries) > 10
    for entry, pinned, hashes in entries:
        assert pinned, f"{name}: not pinned to one version: {entry}"
        assert hashes, f"{name}: no hash: {entry}"


def test_what_the_in_files_name_is_what_was_locked():
    for source, locked in (("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")):
        wanted = {pinned for _, pinned, _ in requirements((Path(settings.BASE_DIR) / source).read_text()) if pinned}
        have = {pinned for _, pinned, _ in requirements((Path(settings.BASE_DIR) / locked).read_text())}
        normalised = {(canonical(name), version) for name, version in have}
        for name, version in wanted:
            assert (canonical(name), version) in normalised, (
                f"{source}: {name}=={version} is not in {locked}; run make lock"
            )
