"""Finding a Last.fm (artist, title) in the library: the right track, or none.

Names are compared after normalisation: case, diacritics on Latin letters
(é, ö, ñ; also ø, æ, ß, ł ...), apostrophe and dash variants, punctuation and
whitespace are ignored; ``&``, ``and``, ``+``, ``'n'`` are one word; "Pt." is
"Part" before a number. Other scripts are kept as they are (NFKC-folded only).
Artists also lose a leading "The" ("Beatles, The" too) and feat. credits; a
``$`` or ``!`` standing for a letter is spelled out ("Ke$ha" is "kesha", "P!nk"
is "pink", "A$AP Rocky" is "asap rocky", while "Wham!" is "wham"), and a name of
symbols alone ("!!!") is compared as written rather than as nothing.

Titles are split into a base title and version kinds taken from trailing
``(...)``/``[...]`` groups and `` - ...`` suffixes ("- 2009 Remaster",
"(Live at Wembley)", "[X Remix]"); feat./with credits are dropped. Groups that
are not recognised as a version stay part of the title, so
"(I Can't Get No) Satisfaction" or "Blue (Da Ba Dee)" are matched as written.

`match_track` rules:

- base titles must be equal: no prefix, substring or fuzzy matching; the one
  exception is a library title joining songs with `` / `` (a medley or a
  double A-side, "Somewhere Over the Rainbow / What a Wonderful World"): either
  song matches, by the same artist only, ranked below any exact title;
- the track artist (Plex originalTitle) must be the Last.fm artist, never the
  album artist; failing an exact artist, a multi-artist credit whose leading
  artists are the other name ("A & B" for "A", either way) is accepted with a
  lower rank;
- a live/remix/acoustic/... version (per the title, or a live/unplugged/demo
  album) is only taken when the request asks for that kind of version (for
  remixes and other named variants, the same one); the original studio version
  stands in for a requested variant, never the reverse, as a playlist should
  not silently play a concert recording of a song asked for as the studio one;
- then the exact credit beats one with other featured artists ("A" over
  "A feat. B" when "A" is asked for), a regular album beats a compilation, a
  matching remaster/edition tag beats a different one, and the lowest id
  breaks ties.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
import re
import unicodedata

from .models import Track

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
"""Hyphen, dash and minus variants."""
# Apostrophes/primes, double quotes/guillemets and dashes/minus to ASCII.
_CHAR_MAP = str.maketrans(
    {
        # U+02BB: the Hawaiian okina, typed as an apostrophe on Last.fm.
        **dict.fromkeys("\u2019\u2018\u201b`\u00b4\u02bc\u02b9\u02bb\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys(_DASHES, "-"),
    }
)
# Latin letters without a decomposition: o/ae/oe/ss/l/d/eth/thorn/dotless i/h.
_LETTER_MAP = str.maketrans(
    {
        "\u00f8": "o", "\u00d8": "O", "\u00e6": "ae", "\u00c6": "AE",
        "\u0153": "oe", "\u0152": "OE", "\u00df": "ss", "\u1e9e": "SS",
        "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D",
        "\u00f0": "d", "\u00d0": "D", "\u00fe": "th", "\u00de": "TH",
        "\u0131": "i", "\u0127": "h", "\u0126": "H",
    }
)  # fmt: skip
_AND = re.compile(r"&|(?<!\S)\+(?!\S)|(?<!\w)'?n'(?!\w)|(?<!\w)'n(?!\w)")
_ACRONYM_DOT = re.compile(r"(?<=[^\W\d_])\.(?=[^\W\d_])")
_ROMAN_OR_NUMBER = re.compile(r"\d+|[ivx]+")
_FEAT_WORDS = frozenset({"feat", "ft", "featuring"})
_CREDIT_SEPARATORS = frozenset({",", "and", "x", "vs", "with"})

_BRACKETED_FEAT = re.compile(
    r"\s*[(\[{]\s*(?:feat|ft|featuring|with)\b[^)\]}]*[)\]}]", re.IGNORECASE
)
_TRAILING_FEAT = re.compile(
    r"\s+(?:feat\.?|ft\.|featuring)\s+[^()\[\]{}]*$", re.IGNORECASE
)
_TRAILING_GROUP = re.compile(r"^(.*?)\s*[(\[{]([^()\[\]{}]*)[)\]}]\s*$")
_TRAILING_DASH = re.compile(rf"^(.*\S)\s+[-{_DASHES}]\s+(.+?)\s*$")
_CREDIT_DESCRIPTOR = re.compile(r"(?:feat|ft|featuring|with)\b")
_SOUNDTRACK_DESCRIPTOR = re.compile(
    r"from\s+(?:\"|'|the\s+(?:original\s+)?"
    r"(?:motion\s+picture|film|movie|series|musical|soundtrack|tv|video\s+game|netflix))"
)
_NUMBER = re.compile(r"\d+(?:st|nd|rd|th|s)?")
_YEAR = re.compile(r"(?:19|20)\d\d")
_RAW_FEAT = re.compile(r"\s+[(\[]?(?:feat|ft|featuring)\b\.?\s.*$", re.IGNORECASE)
_RAW_THE = re.compile(r"^the\s+(?=\S)|\s*,\s*the$", re.IGNORECASE)
_RAW_SEPARATOR = re.compile(r"\s*(?:,|&|\+|\s(?:and|x|vs\.?|with)\s)\s*", re.IGNORECASE)
_RISKY_CHARS = frozenset("'\"`&+-")
"""Characters other tags may spell differently (curly quotes, "and", dashes)."""
_LETTER_SIGNS = re.compile(r"(?<=[^\W\d_])!(?=[^\W\d_])|(?<=[^\W\d_])\$|\$(?=[^\W\d_])")
"""A ``!`` between letters (P!nk) or a ``$`` next to a letter (Ke$ha, $ign)."""
_MEDLEY_SEPARATOR = re.compile(r"\s+/\s+")
"""Joins the songs of a medley or double A-side: "A / B" (not "24/7")."""
_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")
_MIN_PART = 3
"""Shortest partial artist term worth a search."""

_KIND_WORDS = {
    **dict.fromkeys(("remaster", "remastered", "remastering", "mastered"), "remaster"),
    **dict.fromkeys(("live", "unplugged", "session", "sessions"), "live"),
    **dict.fromkeys(
        ("remix", "remixes", "remixed", "rmx", "rework", "reworked", "bootleg", "dub", "vip"),
        "remix",
    ),
    **dict.fromkeys(("explicit", "dirty", "uncensored"), "explicit"),
    **dict.fromkeys(("clean", "censored"), "clean"),
    **dict.fromkeys(
        ("deluxe", "expanded", "anniversary", "edition", "special", "collectors", "limited"),
        "edition",
    ),
    **dict.fromkeys(("demo", "demos"), "demo"),
    **dict.fromkeys(("instrumental", "instrumentals"), "instrumental"),
    **dict.fromkeys(("acapella", "acappella"), "acapella"),
    **dict.fromkeys(("soundtrack", "ost"), "soundtrack"),
    "radio": "radio_edit",
    "single": "single",
    "mono": "mono",
    "stereo": "stereo",
    "bonus": "bonus",
    "original": "original",
    "album": "album",
    "edit": "edit",
    "acoustic": "acoustic",
    "karaoke": "karaoke",
    "cover": "cover",
    "extended": "extended",
}  # fmt: skip
"""Words naming a version kind."""
_STRONG_WORDS = frozenset(_KIND_WORDS) - {
    "live", "dub", "vip", "explicit", "dirty", "uncensored", "clean", "censored",
    "special", "limited", "radio", "single", "mono", "stereo", "bonus", "original",
    "album", "edit", "cover", "extended",
}  # fmt: skip
"""Kind words that make a descriptor a version even among unknown words."""
_FILLER_WORDS = frozenset(
    {"version", "mix", "track", "digital", "recording", "recorded", "take",
     "the", "of", "at", "from", "in", "on", "and", "bit", "year", "years", "re"}
)  # fmt: skip
DIFFERENT_KINDS = frozenset(
    {"live", "remix", "acoustic", "demo", "instrumental", "acapella", "karaoke",
     "cover", "extended", "other"}
)  # fmt: skip
"""Version kinds that are another recording or arrangement, not the original."""
_ALBUM_KINDS = frozenset({"live", "acoustic", "demo", "instrumental", "karaoke"})
"""Kinds an album title reliably gives its tracks ("Live at Leeds", "Demos")."""
_NAMED_KINDS = frozenset({"remix", "other"})
"""Different kinds whose descriptor names which one (remixer, language ...)."""

_VARIOUS_ARTISTS = frozenset(
    {"various artists", "various", "va", "soundtrack", "original soundtrack", "ost",
     "original motion picture soundtrack", "original cast", "multiple artists",
     "verschiedene interpreten", "artistes divers", "varios artistas", "artisti vari",
     "diverse artiesten", "compilation"}
)  # fmt: skip
_COMPILATION_ALBUM = re.compile(
    r"\b(?:greatest hits|best of|very best|essential|anthology|collection"
    r"|compilation|hits|singles)\b"
)


@dataclass(frozen=True, slots=True)
class TitleVersion:
    """A title split into its normalised base title and version."""

    base: str
    kinds: frozenset[str]
    """Version kinds, e.g. {"remaster"} or {"live"}."""
    detail: frozenset[str]
    """Words naming a different version: remixer, venue, language."""


def _strip_marks(text: str) -> str:
    """Drop diacritics from Latin letters and spell out ø, æ, ß ...; case is kept."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        if not (unicodedata.combining(char) and kept and kept[-1].isascii()):
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).translate(_LETTER_MAP)


def _fold(text: str) -> str:
    """Casefold, strip diacritics and unify apostrophes, quotes and dashes."""
    return _strip_marks(text.translate(_CHAR_MAP)).casefold()


def _words(folded: str, *, keep_commas: bool = False) -> list[str]:
    """Split folded text into words: punctuation dropped, and-forms unified."""
    text = _ACRONYM_DOT.sub("", _AND.sub(" and ", folded)).replace("'", "")
    text = "".join(
        char
        if char.isalnum()
        or unicodedata.category(char).startswith("M")
        or (keep_commas and char == ",")
        else " "
        for char in text
    )
    words = text.replace(",", " , ").split()
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word == "n" and 0 < index < len(words) - 1:
            words[index] = "and"
        elif word == "pt" and _ROMAN_OR_NUMBER.fullmatch(following):
            words[index] = "part"
    return words


def _drop_title_credits(title: str) -> str:
    """Remove "(feat. X)", "[with X]" and a trailing "feat. X" from a title."""
    return _TRAILING_FEAT.sub("", _BRACKETED_FEAT.sub("", title))


def normalize_title(title: str) -> str:
    """Return the comparable form of a title; version suffixes are kept as words."""
    return " ".join(_words(_fold(_drop_title_credits(title))))


def _spell_signs(text: str) -> str:
    """Spell out a ``!`` or ``$`` meant as a letter: P!nk, Ke$ha, A$AP, $ign.

    The letter takes the case of its neighbours: "A$AP" gives "ASAP".
    """

    def letter(match: re.Match[str]) -> str:
        start, end = match.span()
        around = text[max(start - 1, 0) : start] + text[end : end + 1]
        spelled = "i" if match.group() == "!" else "s"
        letters = [char for char in around if char.isalpha()]
        return spelled.upper() if all(char.isupper() for char in letters) else spelled

    return _LETTER_SIGNS.sub(letter, text)


def _fold_artist(name: str) -> str:
    """Fold an artist name (see `_fold`), with letter signs spelled out."""
    return _spell_signs(_fold(name))


@lru_cache(maxsize=8192)
def _artist_words(name: str) -> tuple[str, ...]:
    """Normalised artist words, commas kept as credit separators.

    A name of symbols alone ("!!!", "+/-") keeps them, as its only word(s):
    it is not the empty name, nor another name of other symbols.
    """
    folded = _fold_artist(name)
    words = _words(folded, keep_commas=True)
    if all(word == "," for word in words):
        return tuple(folded.split())
    for index, word in enumerate(words):
        if index and word in _FEAT_WORDS:
            del words[index:]
            break
    while words and words[-1] == ",":
        words.pop()
    if len(words) > 2 and words[-2:] == [",", "the"]:
        del words[-2:]
    if len(words) > 1 and words[0] == "the":
        del words[0]
    return tuple(words)


def _join(words: Sequence[str]) -> str:
    """Join artist words, leaving out the commas."""
    return " ".join(word for word in words if word != ",")


def normalize_artist(name: str) -> str:
    """Return the comparable form of an artist name."""
    return _join(_artist_words(name))


def _lead_credits(words: tuple[str, ...]) -> set[str]:
    """Leading artists of a multi-artist credit: "a" and "a b" for "a, b & c"."""
    return {
        _join(words[:index])
        for index in range(1, len(words) - 1)
        if words[index] in _CREDIT_SEPARATORS
    }


def _classify(descriptor: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """Return the kinds and detail words of a folded version descriptor, or None."""
    if _CREDIT_DESCRIPTOR.match(descriptor):
        return frozenset(), frozenset()
    if _SOUNDTRACK_DESCRIPTOR.match(descriptor):
        return frozenset({"soundtrack"}), frozenset()
    words = _words(descriptor)
    kinds = {_KIND_WORDS[word] for word in words if word in _KIND_WORDS}
    unknown = frozenset(
        word
        for word in words
        if word not in _KIND_WORDS
        and word not in _FILLER_WORDS
        and not _NUMBER.fullmatch(word)
    )
    if not unknown:
        if kinds or (len(words) == 1 and _YEAR.fullmatch(words[0])):
            return frozenset(kinds), frozenset()
        return None
    strong = any(word in _STRONG_WORDS for word in words)
    if words[0] == "live" and len(words) > 1 and words[1] in {"at", "from", "in", "on"}:
        kinds.add("live")
    elif not strong and words[-1] in {"mix", "edit", "dub"}:
        kinds.add("remix")
    elif not strong and words[-1] == "version":
        kinds.add("other")
    elif not strong:
        return None
    return frozenset(kinds), unknown if kinds & DIFFERENT_KINDS else frozenset()


def _split_suffixes(title: str) -> tuple[str, frozenset[str], frozenset[str]]:
    """Cut recognised version suffixes off a title: (rest, kinds, detail)."""
    text = title.strip()
    kinds: set[str] = set()
    detail: set[str] = set()
    while match := _TRAILING_GROUP.match(text) or _TRAILING_DASH.match(text):
        rest, descriptor = match.groups()
        version = _classify(_fold(descriptor))
        if version is None or not any(char.isalnum() for char in rest):
            break
        kinds |= version[0]
        detail |= version[1]
        text = rest
    return _drop_title_credits(text), frozenset(kinds), frozenset(detail)


@lru_cache(maxsize=8192)
def split_version(title: str) -> TitleVersion:
    """Split a title into its normalised base title and version."""
    rest, kinds, detail = _split_suffixes(title)
    return TitleVersion(normalize_title(rest), kinds, detail)


@lru_cache(maxsize=8192)
def _medley_songs(title: str) -> tuple[TitleVersion, ...]:
    """Return the songs of a title joining several with " / ", with their versions.

    Versions of the whole title ("A / B (Live)") apply to every song; a title
    of one song has none.
    """
    rest, kinds, detail = _split_suffixes(title)
    songs = _MEDLEY_SEPARATOR.split(rest)
    if len(songs) < 2:
        return ()
    return tuple(
        TitleVersion(song.base, song.kinds | kinds, song.detail | detail)
        for song in map(split_version, songs)
        if song.base
    )


@lru_cache(maxsize=2048)
def _album_kinds(album: str) -> frozenset[str]:
    """Different-version kinds an album implies: "Live at Leeds", "MTV Unplugged"."""
    rest, kinds, _ = _split_suffixes(album)
    whole = _classify(_fold(rest))
    return (kinds | (whole[0] if whole else frozenset())) & _ALBUM_KINDS


def _is_compilation(track: Track) -> bool:
    """Whether a track is on a various-artists album or a best-of."""
    return normalize_artist(track.album_artist) in _VARIOUS_ARTISTS or bool(
        _COMPILATION_ALBUM.search(normalize_title(track.album))
    )


def _credit(name: str) -> str:
    """Normalised artist credit with its feat. part: "a feat b"."""
    return " ".join(_words(_fold_artist(name)))


def _artist_rank(wanted: tuple[str, ...], artist: str) -> int | None:
    """0 for the same artist, 1 for a lead credit of a multi-artist credit."""
    words = _artist_words(artist)
    name = _join(words)
    if not name:
        return None
    if name == _join(wanted):
        return 0
    if _join(wanted) in _lead_credits(words) or name in _lead_credits(wanted):
        return 1
    return None


def _version_rank(
    wanted: TitleVersion, kinds: frozenset[str], detail: frozenset[str]
) -> int | None:
    """0 for the requested version, 1 for a similar one, 2 for the original stand-in."""
    wanted_different = wanted.kinds & DIFFERENT_KINDS
    different = kinds & DIFFERENT_KINDS
    if not different:
        return 2 if wanted_different else 0
    if different != wanted_different:
        return None
    if detail == wanted.detail:
        return 0
    if different & _NAMED_KINDS and detail and wanted.detail:
        return None
    return 1


def match_track(artist: str, title: str, candidates: Sequence[Track]) -> Track | None:
    """Return the candidate that is this Last.fm track, or None (see module doc)."""
    wanted_artist = _artist_words(artist)
    wanted = split_version(title)
    if not wanted_artist or not wanted.base:
        return None
    wanted_credit = _credit(artist)
    ranked: list[tuple[tuple[bool, int, int, bool, bool, int, int, str], Track]] = []
    for track in candidates:
        version = split_version(track.title)
        medley = version.base != wanted.base
        if medley:
            songs = _medley_songs(track.title)
            if (
                song := next((s for s in songs if s.base == wanted.base), None)
            ) is None:
                continue
            version = song
        artist_rank = _artist_rank(wanted_artist, track.artist)
        if artist_rank is None or (medley and artist_rank):
            continue
        kinds = version.kinds | _album_kinds(track.album)
        version_rank = _version_rank(wanted, kinds, version.detail)
        if version_rank is None:
            continue
        tag_mismatch = len((wanted.kinds ^ version.kinds) - DIFFERENT_KINDS)
        key = (
            medley,
            artist_rank,
            version_rank,
            _credit(track.artist) != wanted_credit,
            _is_compilation(track),
            tag_mismatch,
            len(track.id),
            track.id,
        )
        ranked.append((key, track))
    return min(ranked, key=lambda item: item[0])[1] if ranked else None


def track_key(artist: str, title: str) -> str:
    """Stable cache/override key: normalised "artist<TAB>base title"."""
    return f"{normalize_artist(artist)}\t{split_version(title).base}"


def _longest_plain_run(text: str) -> str:
    """Longest run of words free of letters and signs other tags may spell differently.

    Plain words are ASCII without apostrophes, quotes, dashes, ``&`` or ``+``.
    """
    runs = (
        " ".join(group)
        for plain, group in groupby(
            text.split(),
            key=lambda word: word.isascii() and not _RISKY_CHARS.intersection(word),
        )
        if plain
    )
    return max(runs, key=len, default="")


def title_search_term(title: str) -> str:
    """Return what to look for in track titles (a case-insensitive substring search).

    The base title without versions and credits; when it holds characters
    other tags may spell differently (curly apostrophes, é vs e, & vs and), its
    longest run of plain words instead, if at least 4 characters long.
    """
    base = unicodedata.normalize("NFC", " ".join(_split_suffixes(title)[0].split()))
    run = _longest_plain_run(base)
    return run if len(run) >= 4 else base


def title_fallback_terms(title: str) -> list[str]:
    """Return what else to look for in track titles, after `title_search_term`.

    Its form without diacritics ("Joga" for "Jóga"), if different: a library
    may spell the title without them, and the server may not fold them.
    """
    term = title_search_term(title)
    folded = _strip_marks(term)
    return [folded] if folded != term else []


def _search_name(artist: str) -> str:
    """Return the artist name to search for: no feat. credits, no leading "The"."""
    name = unicodedata.normalize("NFC", " ".join(_RAW_FEAT.sub("", artist).split()))
    return _RAW_THE.sub("", name)


def artist_search_terms(artist: str) -> list[str]:
    """Return what to look for in artist names, most specific first.

    The name without feat. credits and a leading "The"; then, when it is not
    plain ASCII, its longest plain run with diacritics stripped ("Motley Crue",
    "Garfunkel"), if at least 3 characters long; then the name with a ``$`` or
    ``!`` meant as a letter spelled out ("Kesha" for "Ke$ha"); then the first
    credited artist of a multi-artist credit ("Simon" for "Simon & Garfunkel").
    """
    name = _search_name(artist)
    plain = _longest_plain_run(_strip_marks(name))
    lead = _RAW_SEPARATOR.split(name, maxsplit=1)
    terms: list[str] = []
    for term in (
        name,
        plain if len(plain) >= _MIN_PART else "",
        _spell_signs(name),
        lead[0] if len(lead) > 1 else "",
    ):
        if term and all(term.casefold() != other.casefold() for other in terms):
            terms.append(term)
    return terms


def _halves(text: str) -> list[str]:
    """Split text in two near its middle: between words, else inside the word.

    Punctuation at the ends of each half is dropped.
    """
    words = text.split()
    if len(words) > 1:
        cut = min(
            range(1, len(words)),
            key=lambda index: abs(
                len(" ".join(words[:index])) - len(" ".join(words[index:]))
            ),
        )
        halves = (" ".join(words[:cut]), " ".join(words[cut:]))
    else:
        middle = len(text) // 2
        halves = (text[:middle], text[middle:])
    return list(dict.fromkeys(_EDGE_PUNCTUATION.sub("", half) for half in halves))


def artist_partial_terms(artist: str) -> list[str]:
    """Return parts of an artist name to look for when its search terms find nothing.

    For servers whose search does not fold diacritics: a library spelling with
    an accented letter where the given name has none ("Sigur Rós" for "Sigur
    Ros") still contains one half of the name (split between words, or inside
    a single word), if the accents are all in the other half. Halves are
    looked for when at least 3 characters long, and only for names written in
    Latin letters; none repeats an `artist_search_terms` term.
    """
    text = _spell_signs(_strip_marks(_search_name(artist)))
    if not text.isascii():
        return []
    tried = {term.casefold() for term in artist_search_terms(artist)}
    return [
        half
        for half in _halves(text)
        if len(half) >= _MIN_PART and half.casefold() not in tried
    ]


def has_artist(artist: str, tracks: Sequence[Track]) -> bool:
    """Whether any of the tracks is by this artist (as track or album artist)."""
    wanted = _artist_words(artist)
    return bool(wanted) and any(
        _artist_rank(wanted, name) == 0
        for track in tracks
        for name in (track.artist, track.album_artist)
    )
