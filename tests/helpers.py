def problems(result):
    return [str(problem) for problem in result.problems]


def csv_text(*lines):
    return "\n".join(lines) + "\n"


def url(name, language="en", **kwargs):
    """The address of a page in a language (every public page lives under /es/ or /en/)."""
    from django.urls import reverse
    from django.utils import translation

    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def page_slugs(response):
    return [record.slug for record in response.context["object_list"]]


def then_meanwhile(monkeypatch, module, name, action):
    """Make `module.name` run `action` after it returns: someone else's change, made while
    the code under test is between two of its steps."""
    original = getattr(module, name)

    def wrapped(*args, **kwargs):
        value = original(*args, **kwargs)
        action()
        return value

    monkeypatch.setattr(module, name, wrapped)
