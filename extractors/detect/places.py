"""Countries and blocs named in a sentence, normalised to ISO 3166-1 alpha-3 (`EUU` for the European
Union), and the cities where trade events happen.

pycountry gives every country's official and common names; what it lacks, the words trade news actually
uses, is listed here: demonyms ("Chinese goods"), capitals and seats of government used as metonyms
("Beijing retaliated", "the White House"), and short forms ("U.S.", "UK"). Matching is case-sensitive:
"US" is the country, "us" is not.
"""

from __future__ import annotations

import re
from functools import cache

import pycountry

from extractors.detect.models import PartyMention

EU = "EUU"

# Names pycountry has that are far more often something else in English news.
_AMBIGUOUS_NAMES = frozenset({"Georgia", "Jordan", "Chad", "Guinea", "Dominica", "Niger", "Mali", "Turkey"})

_ALIASES: dict[str, tuple[str, ...]] = {
    "USA": ("United States", "United States of America", "U.S.", "U.S.A.", "US", "USA", "America",
            "Trump administration", "Biden administration", "USTR", "U.S. Trade Representative"),
    "CHN": ("China", "People's Republic of China", "PRC", "mainland China"),
    EU: ("European Union", "EU", "E.U.", "European Commission", "EU Commission"),
    "GBR": ("United Kingdom", "UK", "U.K.", "Britain", "Great Britain"),
    "KOR": ("South Korea", "Korea", "Republic of Korea"),
    "PRK": ("North Korea",),
    "RUS": ("Russia", "Russian Federation"),
    "VNM": ("Vietnam", "Viet Nam"),
    "TWN": ("Taiwan",),
    "IRN": ("Iran",),
    "TUR": ("Türkiye", "Turkiye"),
    "ARE": ("United Arab Emirates", "UAE", "U.A.E."),
    "CZE": ("Czech Republic", "Czechia"),
    "NLD": ("Netherlands", "the Netherlands", "Holland"),
    "LAO": ("Laos",),
    "SYR": ("Syria",),
    "VEN": ("Venezuela",),
    "BOL": ("Bolivia",),
    "TZA": ("Tanzania",),
    "MDA": ("Moldova",),
    "COD": ("Democratic Republic of the Congo", "DRC"),
}  # fmt: skip

_DEMONYMS: dict[str, tuple[str, ...]] = {
    "USA": ("American", "Americans"),
    "CHN": ("Chinese", "Sino"),
    EU: ("European", "Europeans"),
    "GBR": ("British", "Briton", "Britons"),
    "CAN": ("Canadian", "Canadians"),
    "MEX": ("Mexican", "Mexicans"),
    "IND": ("Indian", "Indians"),
    "JPN": ("Japanese",),
    "KOR": ("South Korean", "Korean", "South Koreans"),
    "VNM": ("Vietnamese",),
    "BRA": ("Brazilian", "Brazilians"),
    "DEU": ("German", "Germans"),
    "FRA": ("French",),
    "ITA": ("Italian", "Italians"),
    "ESP": ("Spanish",),
    "AUS": ("Australian", "Australians"),
    "RUS": ("Russian", "Russians"),
    "TWN": ("Taiwanese",),
    "CHE": ("Swiss",),
    "IDN": ("Indonesian",),
    "THA": ("Thai",),
    "MYS": ("Malaysian",),
    "PHL": ("Philippine", "Filipino"),
    "TUR": ("Turkish",),
    "SAU": ("Saudi",),
    "ZAF": ("South African",),
    "ARG": ("Argentine", "Argentinian"),
    "CHL": ("Chilean",),
    "COL": ("Colombian",),
    "PER": ("Peruvian",),
    "NZL": ("New Zealand",),
    "NOR": ("Norwegian",),
    "ISR": ("Israeli",),
    "PAK": ("Pakistani",),
    "BGD": ("Bangladeshi",),
    "KHM": ("Cambodian",),
    "UKR": ("Ukrainian",),
    "IRN": ("Iranian",),
    "SGP": ("Singaporean",),
    "NLD": ("Dutch",),
    "BEL": ("Belgian",),
    "POL": ("Polish",),
    "SWE": ("Swedish",),
    "IRL": ("Irish",),
    "EGY": ("Egyptian",),
    "NGA": ("Nigerian",),
}  # fmt: skip

# Seats of government that stand for the government itself ("Beijing hit back").
_CAPITALS: dict[str, tuple[str, ...]] = {
    "USA": ("Washington", "White House"),
    "CHN": ("Beijing",),
    EU: ("Brussels",),
    "GBR": ("London", "Downing Street", "Whitehall"),
    "CAN": ("Ottawa",),
    "MEX": ("Mexico City",),
    "IND": ("New Delhi", "Delhi"),
    "JPN": ("Tokyo",),
    "KOR": ("Seoul",),
    "VNM": ("Hanoi",),
    "BRA": ("Brasilia", "Brasília"),
    "DEU": ("Berlin",),
    "FRA": ("Paris",),
    "RUS": ("Moscow", "Kremlin"),
    "AUS": ("Canberra",),
    "TWN": ("Taipei",),
    "IDN": ("Jakarta",),
    "THA": ("Bangkok",),
    "MYS": ("Kuala Lumpur",),
    "PHL": ("Manila",),
    "TUR": ("Ankara",),
    "SAU": ("Riyadh",),
    "CHE": ("Bern",),
    "ZAF": ("Pretoria",),
    "ARG": ("Buenos Aires",),
}  # fmt: skip

# Where talks and signings happen, beyond the capitals above.
_OTHER_PLACES = (
    "Geneva", "Stockholm", "Madrid", "Rome", "Osaka", "Davos", "Hiroshima", "Busan", "Gyeongju", "Lima",
    "Bali", "Mar-a-Lago", "Rio de Janeiro", "Johannesburg", "Doha", "Dubai", "Abu Dhabi", "Istanbul",
    "Shanghai", "Hong Kong", "Zurich", "Vienna", "Frankfurt", "Milan", "Lisbon", "Warsaw", "Dublin",
    "New York", "San Francisco", "Seattle", "Toronto", "Montreal", "Vancouver", "Monterrey", "Sao Paulo",
    "São Paulo", "Santiago", "Bogota", "Mumbai", "Shenzhen", "Guangzhou", "Phnom Penh", "Singapore",
    "Kananaskis", "Anchorage", "Honolulu", "Punta del Este", "Marrakesh", "Nairobi", "Cairo", "Oslo",
    "Helsinki", "Copenhagen", "Prague", "Budapest", "Athens", "Amsterdam", "The Hague", "Luxembourg",
    "Strasbourg", "Canberra", "Sydney", "Auckland", "Wellington", "Jeddah", "Bangkok", "Hanoi",
)  # fmt: skip


@cache
def _party_table() -> dict[str, tuple[str, str]]:
    """surface form -> (iso3, kind). Hand-listed forms win over pycountry's."""
    table: dict[str, tuple[str, str]] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name and "," not in name and name not in _AMBIGUOUS_NAMES:
                table[name] = (country.alpha_3, "name")
    for kind, source in (("name", _ALIASES), ("demonym", _DEMONYMS), ("capital", _CAPITALS)):
        for iso3, forms in source.items():
            for form in forms:
                table[form] = (iso3, kind)
    return table


def _alternation(forms: list[str]) -> str:
    return "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))


@cache
def _party_pattern() -> re.Pattern[str]:
    # Not inside a longer name ("North American", "Latin American", "Indiana"); "U.S." may end a sentence.
    return re.compile(
        rf"(?<![\w.])(?<!North )(?<!Latin )(?<!South )(?<!Central )({_alternation(list(_party_table()))})"
        r"(?![\w])(?!-(?:based|born|made)\b)"
    )


@cache
def _place_pattern() -> re.Pattern[str]:
    places = {form for forms in _CAPITALS.values() for form in forms} | set(_OTHER_PLACES)
    places -= {"White House", "Downing Street", "Whitehall", "Kremlin"}
    return re.compile(rf"(?<![\w])({_alternation(list(places))})(?![\w])")


def find_parties(sentence: str) -> list[PartyMention]:
    """Every country or bloc mention in the sentence, in order."""
    table = _party_table()
    mentions = []
    for match in _party_pattern().finditer(sentence):
        form = match.group(1)
        if form == "US" and _is_pronoun_us(sentence, match.start()):
            continue
        iso3, kind = table[form]
        mentions.append(PartyMention(iso3, match.start(), match.end(), kind))
    return mentions


def _is_pronoun_us(sentence: str, start: int) -> bool:
    """ "US" in an all-caps headline can be the pronoun ("LET US"); in prose it is the country."""
    before = sentence[max(0, start - 6) : start]
    return before.isupper() and before.strip().isalpha()


def find_places(sentence: str) -> list[tuple[str, int, int]]:
    """Cities named in the sentence: (name, start, end)."""
    return [(m.group(1), m.start(), m.end()) for m in _place_pattern().finditer(sentence)]


def parties_in(sentence: str) -> list[str]:
    """ISO3 codes of the parties named, first mention order, without repeats."""
    return list(dict.fromkeys(m.iso3 for m in find_parties(sentence)))
