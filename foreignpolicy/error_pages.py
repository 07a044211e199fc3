"""What the site answers where there is no page: an address missing its language prefix
that is another language's leads there, and the error pages speak both languages, the
reader's first."""

from django.conf import settings
from django.http import HttpResponseServerError
from django.middleware import locale
from django.template.loader import render_to_string
from django.urls import get_script_prefix, is_valid_path
from django.utils import translation


def reader_languages(request):
    """Every language of the site, the reader's first: the address's, else the browser's."""
    first = translation.get_language_from_request(request, check_path=True)
    return [first, *(code for code, _name in settings.LANGUAGES if code != first)]


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, which sends "/acuerdos/" to "/es/acuerdos/" for a Spanish reader but gives
    that reader a 404 for "/agreements/": an address without its prefix that is one of
    another language leads to that language's page."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if response.status_code != 404 or translation.get_language_from_path(request.path_info):
            return response
        urlconf = getattr(request, "urlconf", None)
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                if is_valid_path(f"/{code}{request.path_info}", urlconf):
                    prefix = get_script_prefix()
                    return self.response_redirect_class(request.get_full_path().replace(prefix, f"{prefix}{code}/", 1))
        return response


def server_error(request):
    """The 500 page: rendered from a template alone, as it may have to answer because the
    database failed."""
    return HttpResponseServerError(render_to_string("500.html", {"languages": reader_languages(request)}))
