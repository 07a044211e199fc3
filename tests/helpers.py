def problems(result):
    return [str(problem) for problem in result.problems]


def csv_text(*lines):
    return "\n".join(lines) + "\n"
