"""A trivial Django view, served as the site is: the baseline of bench/throughput.py.

    gunicorn bench.trivial_wsgi --bind 127.0.0.1:8003 --workers 2

The same production settings, middleware and gunicorn options as foreignpolicy.wsgi; only
the URLconf differs: /trivial/ answers "ok" without a query or a template (the admin's
URLs are kept, for middleware that looks them up). So the difference between a page and
this view is what the page itself costs. It stays out of the site's own URLconf.
"""

import os

from django.conf import settings
from django.contrib import admin
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreignpolicy.settings.production")


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


settings.ROOT_URLCONF = __name__
application = get_wsgi_application()
# After the set-up: the admin's URLs need the apps loaded.
urlpatterns = [path("trivial/", trivial), path("admin/", admin.site.urls)]
