from urllib.parse import urlsplit

import markdown as markdown_library
import nh3
from django import template
from django.urls import translate_url
from django.utils.safestring import mark_safe

from foreignpolicy import error_pages
from foreignpolicy.text import ministry_name

register = template.Library()
register.simple_tag(ministry_name, name="ministry")


@register.simple_tag(takes_context=True)
def reader_languages(context):
    return error_pages.reader_languages(context["request"])


ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}


@register.filter
def markdown(text):
    """Markdown to HTML with nothing executable left: no scripts, handlers or javascript: links."""
    html = markdown_library.markdown(text or "", extensions=["tables", "sane_lists"])
    return mark_safe(
        nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}}, url_schemes={"http", "https", "mailto"})
    )


@register.simple_tag(takes_context=True)
def in_language(context, language):
    """The address of the page the reader is on, in another language."""
    request = context["request"]
    return translate_url(request.get_full_path(), language)


@register.filter
def site_name(url):
    """The site an address leads to, as a reader names it: "repositorio.pucp.edu.pe"."""
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")
