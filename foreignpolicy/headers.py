"""The Permissions-Policy header, from settings.PERMISSIONS_POLICY: each feature mapped to
the origins allowed it ("self" or an address), an empty list refusing it to everyone."""

from django.conf import settings


def permissions_policy(features):
    def allowlist(origins):
        return " ".join("self" if origin == "self" else f'"{origin}"' for origin in origins)

    return ", ".join(f"{feature}=({allowlist(origins)})" for feature, origins in features.items())


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
