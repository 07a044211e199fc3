"""A progress bar for long imports and exports, shown only to a person at a terminal."""

BAR_WIDTH = 30
LARGE = 1000


class ProgressBar:
    def __init__(self, stream, label):
        self.stream = stream
        self.label = label

    def __call__(self, done, total):
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {done}/{total}",
            ending="\n" if done >= total else "",
        )
        self.stream.flush()


def progress_for(command, rows, label):
    """A bar on the command's error stream when the work is large and someone is watching."""
    stream = command.stderr
    if rows >= LARGE and stream.isatty():
        return ProgressBar(stream, label)
    return None
