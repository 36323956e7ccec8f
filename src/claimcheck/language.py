"""Tell whether a text is English, by the share of common function words."""

from __future__ import annotations

import re

_FUNCTION_WORDS = {
    "en": "the and of to in is that for it with as on are be this by or from at an not have was can your you",
    "de": "der die und das ist nicht mit den von zu ein eine auf für sich des dem im sie es auch als wird",
    "fr": "le la les et des est une un pour que dans qui sur pas par au du avec ce vous sont plus",
    "es": "el la los las y de que en es por un una para con no se su del al lo como más",
    "it": "il la di che e per un una non sono con del della le gli si è nel al anche come",
    "nl": "de het een en van is dat niet op te voor met zijn in er aan ook als bij",
    "pt": "o a os as de que e do da em um uma para com não se por mais dos das",
}
_WORDS = {lang: set(words.split()) for lang, words in _FUNCTION_WORDS.items()}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str, declared: str | None = None) -> str | None:
    """Return an ISO 639-1 code for the text, or None when there is too little text to tell.

    The text decides; a declared ``lang`` attribute only breaks ties on short texts.
    """
    tokens = [t.lower() for t in _TOKEN.findall(text[:20000])]
    declared_code = declared.split("-")[0].strip().lower() if declared else None
    if len(tokens) < 8:
        return declared_code
    scores = {lang: sum(1 for t in tokens if t in words) / len(tokens) for lang, words in _WORDS.items()}
    best = max(scores, key=scores.get)
    if scores[best] < 0.05:
        return declared_code if declared_code and declared_code != "en" else "unknown"
    return best
