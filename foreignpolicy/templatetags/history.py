import re

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()

# "Import #12 from file.csv: …" / "Importación #12 desde archivo.csv: …"
IMPORT_REFERENCE = re.compile(r"^(\w+ )#(\d+)")


@register.filter
def link_import(message):
    """A change message whose import number links to that import's record."""
    escaped = str(conditional_escape(message))
    match = IMPORT_REFERENCE.match(escaped)
    if not match:
        return mark_safe(escaped)
    url = reverse("admin:foreignpolicy_importrecord_change", args=[match.group(2)])
    link = format_html('{}<a href="{}">#{}</a>', match.group(1), url, match.group(2))
    return mark_safe(link + escaped[match.end() :])
