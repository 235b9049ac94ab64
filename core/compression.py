"""Gzip for the HTML pages, and only for them.

The lead list is ~58 KB of HTML for 50 rows and shrinks ~8x; static files are already compressed by
WhiteNoise, and CSV exports and other streamed responses are left alone (compressing a stream defeats
its incremental delivery, and files are downloaded once).

BREACH (a network observer who can make the victim's browser repeat requests mixing their own input with
a secret in one compressed body) is mitigated on several layers: Django's GZipMiddleware pads each body
with random bytes in the gzip header ("Heal The Breach", Django 4.2+); the CSRF token is masked afresh in
every response; the session cookie is SameSite=Lax, so a third-party page cannot make the authenticated
cross-site subresource requests the attack needs by the thousand; and the Content-Security-Policy
(core.middleware) is a header, which gzip never touches."""

from __future__ import annotations

from django.middleware.gzip import GZipMiddleware


class HtmlGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
