"""The interface language: Swedish unless the person chose otherwise.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a care worker
whose phone is set to English would get an English Trygg at 3 a.m. without asking for it.
Here the order is: the language chosen in the top bar (cookie), the person's saved
preference, the language of their municipality's country, then Swedish.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from . import clock

_COUNTRY_LANGUAGE = {"SE": "sv", "NO": "nb"}


def choose_language(request: HttpRequest) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in available:
        return chosen
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        preferred = getattr(user, "preferred_language", "")
        if preferred in available:
            return preferred
        countries = {municipality.country for municipality in clock.municipalities_of(user)}
        if len(countries) == 1:
            return _COUNTRY_LANGUAGE.get(countries.pop(), settings.LANGUAGE_CODE)
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = choose_language(request)
        request.LANGUAGE_CODE = language
        # Restore whatever was active before (not the default): a test or a command that
        # serves a request in-process keeps its own language afterwards.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        return response
