"""Languages: the one to write to a person in, and the names people use for a client's.

Messages and e-mails sent from a service or the worker (an order done, an outage announced)
go out in the person's saved preference, else in the language of the municipality's country,
else Swedish: never in the English of Django's source strings because nobody chose one.

A client's preferred languages are stored as ISO 639-1 codes (the case system's format);
pages show their names in the reader's language ("svenska, finska"), never the codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from .models import Municipality, User

COUNTRY_LANGUAGE = {"SE": "sv", "NO": "nb"}


def language_of(user: User, municipality: Municipality) -> str:
    """The language to write to `user` about something in `municipality`."""
    return user.preferred_language or COUNTRY_LANGUAGE.get(municipality.country, "sv")


# The languages a home-care client in Sweden or Norway is likely to name: the Nordic and
# national minority languages, and those most spoken among people born abroad (SCB, SSB).
# A code outside this list is shown as the code itself, so nothing is ever hidden. The
# context keeps the names apart from the language switcher's capitalised "Svenska": in
# running Swedish and Norwegian text a language's name is written in lower case.
LANGUAGE_NAMES: dict[str, Promise] = {
    "sv": pgettext_lazy("language name", "Swedish"),
    "nb": pgettext_lazy("language name", "Norwegian (Bokmål)"),
    "nn": pgettext_lazy("language name", "Norwegian (Nynorsk)"),
    "no": pgettext_lazy("language name", "Norwegian"),
    "da": pgettext_lazy("language name", "Danish"),
    "fi": pgettext_lazy("language name", "Finnish"),
    "is": pgettext_lazy("language name", "Icelandic"),
    "fo": pgettext_lazy("language name", "Faroese"),
    "se": pgettext_lazy("language name", "Northern Sami"),
    "yi": pgettext_lazy("language name", "Yiddish"),
    "en": pgettext_lazy("language name", "English"),
    "de": pgettext_lazy("language name", "German"),
    "fr": pgettext_lazy("language name", "French"),
    "es": pgettext_lazy("language name", "Spanish"),
    "pt": pgettext_lazy("language name", "Portuguese"),
    "it": pgettext_lazy("language name", "Italian"),
    "nl": pgettext_lazy("language name", "Dutch"),
    "el": pgettext_lazy("language name", "Greek"),
    "pl": pgettext_lazy("language name", "Polish"),
    "ru": pgettext_lazy("language name", "Russian"),
    "uk": pgettext_lazy("language name", "Ukrainian"),
    "et": pgettext_lazy("language name", "Estonian"),
    "lv": pgettext_lazy("language name", "Latvian"),
    "lt": pgettext_lazy("language name", "Lithuanian"),
    "hu": pgettext_lazy("language name", "Hungarian"),
    "ro": pgettext_lazy("language name", "Romanian"),
    "cs": pgettext_lazy("language name", "Czech"),
    "sk": pgettext_lazy("language name", "Slovak"),
    "bg": pgettext_lazy("language name", "Bulgarian"),
    "bs": pgettext_lazy("language name", "Bosnian"),
    "hr": pgettext_lazy("language name", "Croatian"),
    "sr": pgettext_lazy("language name", "Serbian"),
    "sl": pgettext_lazy("language name", "Slovenian"),
    "mk": pgettext_lazy("language name", "Macedonian"),
    "sq": pgettext_lazy("language name", "Albanian"),
    "tr": pgettext_lazy("language name", "Turkish"),
    "ku": pgettext_lazy("language name", "Kurdish"),
    "ar": pgettext_lazy("language name", "Arabic"),
    "he": pgettext_lazy("language name", "Hebrew"),
    "fa": pgettext_lazy("language name", "Persian"),
    "ps": pgettext_lazy("language name", "Pashto"),
    "ur": pgettext_lazy("language name", "Urdu"),
    "hi": pgettext_lazy("language name", "Hindi"),
    "pa": pgettext_lazy("language name", "Punjabi"),
    "bn": pgettext_lazy("language name", "Bengali"),
    "ta": pgettext_lazy("language name", "Tamil"),
    "so": pgettext_lazy("language name", "Somali"),
    "ti": pgettext_lazy("language name", "Tigrinya"),
    "am": pgettext_lazy("language name", "Amharic"),
    "sw": pgettext_lazy("language name", "Swahili"),
    "zh": pgettext_lazy("language name", "Chinese"),
    "ja": pgettext_lazy("language name", "Japanese"),
    "ko": pgettext_lazy("language name", "Korean"),
    "th": pgettext_lazy("language name", "Thai"),
    "vi": pgettext_lazy("language name", "Vietnamese"),
    "tl": pgettext_lazy("language name", "Tagalog"),
}


def language_name(code: str) -> str:
    """The name of the language with ISO 639-1 `code`, in the active language."""
    name = LANGUAGE_NAMES.get(code.strip().lower())
    return str(name) if name is not None else code


def language_names(codes: Iterable[str]) -> str:
    """Several languages' names, in the order given, separated by commas."""
    return ", ".join(language_name(code) for code in codes)
