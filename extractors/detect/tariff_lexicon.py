"""Word lists for tariff detection: what trade news calls a tariff, which words mark a percentage as
something else, the products tariffs name, and the people and bodies that stand for a government.

Product names are folded to the forms the dev-set conventions use (cars -> autos, aluminium -> aluminum,
chips -> semiconductors); anything not listed is left out rather than guessed.
"""

from __future__ import annotations

import re

# Nouns that make a nearby percentage a border-measure rate on their own.
STRONG_NOUN = re.compile(
    r"\b(?:counter-?tariffs?|tariffs?|duty|duties|levy|levies|surcharges?|surtax(?:es)?"
    r"|(?:import|export|border) tax(?:es)?|security deposits?|countermeasures?"
    r"|(?:dumping|subsidy|subsidi[sz]ation) margins?)\b(?!-free)",
    re.IGNORECASE,
)
# Domestic charges called tariffs, duties or levies that are no border measure: a utility's or a phone
# plan's tariff, stamp or fuel duty, a sugar or bag levy. Their nouns do not make a percentage a tariff.
NOT_BORDER_MEASURE = re.compile(
    r"\b(?:(?:electricity|power|energy|gas|water|mobile|data|broadband|telecom|phone|postpaid|prepaid|retail"
    r"|feed-in|standard variable|fixed|variable|network|transmission|grid|taxi|bus|rail|toll)\s+tariffs?"
    r"|tariff (?:plans?|orders?|petitions?|revisions?|hikes? for (?:consumers|households|customers))"
    r"|(?:stamp|fuel|excise|inheritance|estate|land|death|air passenger|council)\s+(?:duty|duties|tax)"
    r"(?:\s+(?:land\s+tax|surcharges?))?"
    r"|(?:sugar|soft drinks?|plastic bag|carrier bag|tourism|tourist|bank|windfall|digital services)\s+"
    r"(?:levy|levies|tax(?:es)?)|regulatory surcharges?|fuel surcharges?)\b",
    re.IGNORECASE,
)


def without_domestic_charges(text: str) -> str:
    """`text` with its domestic charges (`NOT_BORDER_MEASURE`) blanked out, every position kept."""
    return NOT_BORDER_MEASURE.sub(lambda m: " " * len(m.group()), text)


# Nouns that name a tariff only in a sentence that is already about tariffs ("the rate on cabinets").
WEAK_NOUN = re.compile(r"\b(?:rates?|penalty|penalties|levels?)\b", re.IGNORECASE)
# Qualifiers that make "rate" a monetary, labour or statistical rate.
RATE_QUALIFIER = re.compile(
    r"\b(?:policy|interest|mortgage|unemployment|jobless|deposit|key|bank|lending|inflation|growth|exchange"
    r"|savings|participation|utili[sz]ation|vacancy|approval|success|win|birth|death|crime|poverty|repo|prime"
    r"|discount|funds|bond|coupon|tax|base|hit|conversion|response|turnout|fertility|default|savings)\s+"
    r"(?:\w+\s+)?$",
    re.IGNORECASE,
)
# Words that make a percentage a share, a change, a statistic or a price: when one stands between the number
# and the tariff noun, the number is not that tariff's rate.
BLOCKERS = re.compile(
    r"\b(?:shares?|accounts?|accounted|accounting|account|make up|makes up|made up|chance|odds|probability"
    r"|polls?|inflation|growth|GDP|econom(?:y|ies)|profits?|revenues?|sales|stocks?|index|indices|futures"
    r"|yields?|prices?|unemployment|wages?|(?<!dumping )(?<!subsidy )margin|owned|stake|jobs|currency|dollar"
    r"|euro|yen|rupee|peso|real"
    r"|ringgit|franc|S&P|Nasdaq|Nikkei|KOSPI|Dow|bookings|output|capacity"
    r"|spending|consumption|deficit|surplus|survey|voters|majority|turnout|forecasts?|expectations)\b"
)
# A percentage followed by one of these is not a rate ("a 26% rise", "a 45% chance", "50% owned").
AFTER_BLOCK = re.compile(
    r"^\s*(?:of\b(?!\s+(?:their|its|the)\s+(?:customs\s+)?value)|percentage\b|points?\b|owned\b|stake\b|shares?\b"
    r"|chance\b|probability\b|odds\b|majority\b|margin\b|rise\b|jump\b|increase\b|drop\b|fall\b|decline\b"
    r"|gain\b|growth\b|surge\b|slump\b|plunge\b|lead\b|return\b|discount\b|interest\b)",
    re.IGNORECASE,
)
# Verbs that state an amount of change when they stand right before the number ("fell 5%", "up 242%").
CHANGE_AMOUNT = re.compile(
    r"\b(?:rose|rise|rises|rising|risen|fell|fall|falls|falling|fallen|jumped|jump|jumps|slipped|gained|gains"
    r"|grew|grow|grows|growing|grown|dropped|drop|drops|plunged|plunge|surged|surge|climbed|climb|declined"
    r"|decline|down|up|shrank|shrink|slumped|eased|added|adding|lost|off|tumbled|soared|rallied|advanced"
    r"|strengthened|weakened|dipped|slid|sank|widened|narrowed|increased|decreased|by"
    r"|spiked|accelerated|slowed|expanded|contracted|averaged)\s+"
    r"(?:(?:about|around|roughly|nearly|almost|some|more than|less than|as much as|over|under|just|only"
    r"|an estimated|a further|another|a)\s+)*$",
    re.IGNORECASE,
)
# Words that join a tariff-linked rate to the next one in a list ("40% for Laos, 36% for Cambodia").
HEDGES = (
    r"(?:about|around|roughly|nearly|almost|some|approximately|an estimated|as high as|as much as|up to"
    r"|as low as|at least|more than|less than|over|just|only|a|an|the|additional|extra|further)"
)

# Monetary policy and markets: "rate" there is never a tariff rate.
MONETARY = re.compile(
    r"\b(?:central bank|Federal Reserve|Fed|ECB|Bank of [A-Z]\w+|monetary|policy rate|interest rates?"
    r"|mortgage|deposit rate|Bank Rate|yields?|bonds?)\b"
)
# Marks of a measure on every origin: no single target.
GLOBAL_CUE = re.compile(
    r"\b(?:all (?:other )?(?:countries|nations|trading partners|partners|imports|origins|sources)"
    r"|every (?:trading )?(?:partner|country|nation)|other countries|universal|baseline|global(?:ly)?"
    r"|worldwide|standard|MFN|most[- ]favou?red[- ]nation|minimum rate|safeguard|imported|imports of"
    r"|export duty|duty on exports|exports of|(?:country|countries) with which)\b",
    re.IGNORECASE,
)

# People and bodies that stand for a government in trade news.
ACTORS: dict[str, str] = {
    "Trump": "USA", "Biden": "USA", "Harris": "USA", "Bessent": "USA", "Lutnick": "USA", "Greer": "USA",
    "Commerce Department": "USA", "administration": "USA", "Congress": "USA", "Section 232": "USA",
    "Section 301": "USA", "Court of International Trade": "USA",
    "Xi": "CHN", "He Lifeng": "CHN", "Wang Wentao": "CHN", "State Council": "CHN",
    "Customs Tariff Commission": "CHN",
    "Carney": "CAN", "Trudeau": "CAN", "Sheinbaum": "MEX", "Lula": "BRA", "Modi": "IND", "Starmer": "GBR",
    "Ishiba": "JPN", "Akazawa": "JPN", "Commission": "EUU", "von der Leyen": "EUU", "Šefčovič": "EUU",
    "Sefcovic": "EUU", "EU lawmakers": "EUU", "European Parliament": "EUU",
}  # fmt: skip
ACTOR_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(a) for a in sorted(ACTORS, key=len, reverse=True)) + r")\b"
)

# Product lexicon: pattern -> normalised name. Longer, more specific patterns come first.
_PRODUCTS: tuple[tuple[str, str], ...] = (
    (r"(?:car|auto|automobile|vehicle) parts|auto components", "auto parts"),
    (r"(?:battery )?electric (?:vehicles?|cars?)|EVs?", "electric vehicles"),
    (r"plug-in hybrids?", "plug-in hybrids"),
    (r"large-engine cars", "large-engine cars"),
    (r"heavy(?:-duty)? trucks", "heavy trucks"),
    (r"cars?|automobiles?|autos|vehicles|car exports|passenger cars", "autos"),
    (r"steel plates?", "steel plates"),
    (r"flat steel", "flat steel"),
    (r"steel", "steel"),
    (r"alumini?um", "aluminum"),
    (r"refined copper", "refined copper"),
    (r"semi-finished copper products", "semi-finished copper products"),
    (r"copper", "copper"),
    (r"(?:softwood )?(?:lumber|timber)", "softwood lumber"),
    (r"semiconductors?|(?:computer )?chips", "semiconductors"),
    (r"solar (?:panels?|modules?)", "solar panels"),
    (r"solar cells?", "solar cells"),
    (r"pharmaceuticals?(?: products)?|(?:branded |patented )?(?:drugs|medicines)", "pharmaceuticals"),
    (r"(?:farm|agricultural) (?:goods|products|imports)", "agricultural goods"),
    (r"industrial goods|industrial products", "industrial goods"),
    (r"clothing|apparel|garments", "apparel"),
    (r"textiles", "textiles"),
    (r"footwear|shoes", "footwear"),
    (r"soybeans?", "soybeans"),
    (r"canola seed", "canola seed"),
    (r"rapeseed oil", "rapeseed oil"),
    (r"oil cakes", "oil cakes"),
    (r"peas", "peas"),
    (r"pork", "pork"),
    (r"seafood", "seafood"),
    (r"lobsters?", "lobsters"),
    (r"crabs?", "crabs"),
    (r"fish", "fish"),
    (r"barley", "barley"),
    (r"wines?", "wine"),
    (r"whisk(?:e)?y", "whisky"),
    (r"brandy|cognac", "brandy"),
    (r"bourbon", "bourbon"),
    (r"motorcycles", "motorcycles"),
    (r"jeans", "jeans"),
    (r"tomatoes", "tomatoes"),
    (r"ethanol", "ethanol"),
    (r"parboiled rice", "parboiled rice"),
    (r"rice", "rice"),
    (r"(?:nitrogen(?:-based)? )?fertili[sz]ers", "fertilizers"),
    (r"kitchen cabinets|cabinets", "kitchen cabinets"),
    (r"(?:bathroom )?vanities", "bathroom vanities"),
    (r"upholstered furniture", "upholstered furniture"),
    (r"furniture", "furniture"),
    (r"mobile phones|smartphones", "mobile phones"),
    (r"ship-to-shore cranes", "ship-to-shore cranes"),
    (r"aerospace products|aircraft", "aerospace products"),
    (r"plastics", "plastics"),
    (r"jewell?ery", "jewellery"),
    (r"leather products", "leather products"),
    (r"energy", "energy"),
    (r"potash", "potash"),
    (r"orange juice", "orange juice"),
    (r"peanut butter", "peanut butter"),
    (r"coffee", "coffee"),
    (r"appliances", "appliances"),
    (r"(?:permanent )?magnets", "permanent magnets"),
    (r"natural graphite", "natural graphite"),
    (r"syringes", "syringes"),
    (r"needles", "needles"),
    (r"(?:lithium-ion )?batteries", "batteries"),
    (r"critical minerals", "critical minerals"),
    (r"transshipped goods|goods (?:deemed|judged|found) to have been transshipped", "transshipped goods"),
    (r"(?:goods|products) (?:that comply|complying) with (?:the )?(?:USMCA|U\.S\.-Mexico-Canada Agreement)"
     r"|USMCA-compliant goods", "usmca-compliant goods"),
    (r"goods not covered by the (?:USMCA|pact)", "non-usmca goods"),
)  # fmt: skip
PRODUCT_PATTERN = re.compile(
    r"(?<![\w-])(?:" + "|".join(f"(?P<p{i}>{p})" for i, (p, _) in enumerate(_PRODUCTS)) + r")(?![\w-])"
)
PRODUCT_NAMES = tuple(name for _, name in _PRODUCTS)
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "twenty-five": 25,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "one hundred": 100, "a hundred": 100,
}  # fmt: skip
