"""How long `read_table` takes on each hostile file, how much memory it needs, and what it says.

    .venv/bin/python bench/hostile_files.py            # every file of tests/hostile_files.py
    .venv/bin/python bench/hostile_files.py bomb csv   # only those whose names hold a word

Each file is made and read in a process of its own, forked from one where Django and
openpyxl are already loaded, as in a running server. The process makes the file, reads it
with `read_table` (the time), and reads it again under tracemalloc (the peak of what Python
allocated while reading, the file's own bytes not counted). The limits are the default
settings. The script prints a Markdown table for docs/performance.md, in some 15 seconds.
"""

import multiprocessing
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreignpolicy.settings.test")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402, F401 - loaded once, as in a running server
from django.utils import translation  # noqa: E402

from foreignpolicy.tabular import FileProblem, read_table  # noqa: E402
from tests import hostile_files  # noqa: E402


def measure(name, make, results):
    """In the child process: make one file, read it, and send back what came of it."""
    translation.activate("en")
    data = make()

    def read():
        try:
            rows = len(read_table(data, name))
            return f"read: {rows:,} row{'s' if rows != 1 else ''}"
        except FileProblem as problem:
            return str(problem)

    start = time.perf_counter()
    outcome = read()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    read()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    results.send((len(data), seconds, peak, outcome))


def size(count):
    return f"{count / 1024 / 1024:.1f} MB" if count >= 100 * 1024 else f"{max(count / 1024, 1):.0f} KB"


def main(words):
    files = hostile_files.FILES + hostile_files.HARMLESS
    files = [entry for entry in files if not words or any(word in entry[0] for word in words)]
    fork = multiprocessing.get_context("fork")
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores; default limits; `read_table` alone\n")
    print("| file | what it is | size | time | peak memory | what the user reads |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    total = time.perf_counter()
    for name, make, what in files:
        receive, send = fork.Pipe(duplex=False)
        child = fork.Process(target=measure, args=(name, make, send))
        child.start()
        child.join(120)
        if child.exitcode != 0 or not receive.poll():
            child.kill()
            print(f"| {name} | {what} | | | | **failed** (exit code {child.exitcode}) |")
            continue
        length, seconds, peak, outcome = receive.recv()
        outcome = outcome.replace("|", "\\|").replace("\xa0", " ")
        print(f"| {name} | {what} | {size(length)} | {seconds:.2f} s | {size(peak)} | {outcome} |")
    print(f"\n{len(files)} files in {time.perf_counter() - total:.0f} s.")


if __name__ == "__main__":
    main(sys.argv[1:])
