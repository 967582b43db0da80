"""Built-in augmenters: text noise and Pillow image transforms, each fed a seeded generator.

No Django here. Every random choice is drawn from the ``numpy.random.Generator`` passed
in, and each augmenter returns the values it drew, so an augmented item can be made again
byte for byte from its stored parameters and seed, and a person can see what was done.
Methods marked ``span_safe`` change no character offsets, so labeled spans stay right.
"""

import hashlib
import io
import json
import math
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

LIBRARY = "groundwork.augment"
LIBRARY_VERSION = "1"
TEXT, IMAGE = "text", "image"


class AugmentError(ValueError):
    """A method or its parameters cannot be used; the message says why."""


@dataclass(frozen=True)
class Param:
    name: str
    default: float
    low: float
    high: float
    description: str
    integer: bool = False


@dataclass(frozen=True)
class Method:
    name: str
    kind: str  # TEXT or IMAGE
    description: str
    params: tuple[Param, ...]
    apply: Callable[..., tuple[Any, dict[str, Any]]]
    span_safe: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "span_safe": self.span_safe,
            "params": [
                {
                    "name": p.name,
                    "type": "integer" if p.integer else "number",
                    "default": p.default,
                    "min": p.low,
                    "max": p.high,
                    "description": p.description,
                }
                for p in self.params
            ],
        }


def item_rng(seed: int, source_key: int, copy: int) -> np.random.Generator:
    """One generator per (request seed, source, copy): no result depends on the order items are read in.

    ``source_key`` comes from the source's content (``content_key``), not its id, so the same request on
    the same data gives the same items in any project or database.
    """
    return np.random.default_rng([seed, source_key, copy])


# numpy's SeedSequence (a pool of four 32-bit words) and PCG64 seeding, as numpy/random/bit_generator.pyx
# and pcg64.h define them; a test holds the states equal to ``item_rng``'s.
_MASK32 = 0xFFFFFFFF
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = np.uint32(0xCA01F9DD), np.uint32(0x4973F715)
_POOL_SIZE = 4
_PCG_MULTIPLIER = (2549297995355413924 << 64) + 4865540595714422341
_MASK128 = (1 << 128) - 1


def _int_words(value: int) -> list[int]:
    """An integer as SeedSequence reads it: 32-bit words, least significant first, at least one."""
    if value < 0:
        raise ValueError("seeds and keys must not be negative")
    words = [value & _MASK32]
    while value >> 32:
        value >>= 32
        words.append(value & _MASK32)
    return words


def _seed_words(entropy: np.ndarray) -> np.ndarray:
    """``SeedSequence(row).generate_state(4, np.uint64)`` for each row of 32-bit entropy words, at once."""
    multiplier = [_INIT_A]

    def hashmix(value: np.ndarray) -> np.ndarray:
        value = value ^ np.uint32(multiplier[0])
        multiplier[0] = (multiplier[0] * _MULT_A) & _MASK32
        value = value * np.uint32(multiplier[0])
        return value ^ (value >> np.uint32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = _MIX_MULT_L * x - _MIX_MULT_R * y
        return result ^ (result >> np.uint32(16))

    rows, width = entropy.shape
    zero = np.zeros(rows, np.uint32)
    pool = [hashmix(entropy[:, i] if i < width else zero) for i in range(_POOL_SIZE)]
    for source in range(_POOL_SIZE):
        for target in range(_POOL_SIZE):
            if source != target:
                pool[target] = mix(pool[target], hashmix(pool[source]))
    for source in range(_POOL_SIZE, width):
        for target in range(_POOL_SIZE):
            pool[target] = mix(pool[target], hashmix(entropy[:, source]))
    constant = _INIT_B
    state = []
    for index in range(8):
        value = pool[index % _POOL_SIZE] ^ np.uint32(constant)
        constant = (constant * _MULT_B) & _MASK32
        value = value * np.uint32(constant)
        state.append(value ^ (value >> np.uint32(16)))
    return np.ascontiguousarray(np.stack(state, axis=1).astype("<u4")).view("<u8").astype(np.uint64)


class ItemGenerators:
    """``item_rng(seed, key, copy)`` for many sources and copies, seeded in bulk: the same streams.

    ``default_rng`` costs some 25 microseconds a call, most of it SeedSequence's hashing in Python;
    here that hashing runs once over every (seed, source, copy) in numpy, and each call only sets the
    state of one shared generator. So a generator is good until the next call: use it, then ask again.
    """

    def __init__(self, seed: int, source_keys: Sequence[int], copies: int) -> None:
        keys = [int(key) for key in source_keys]
        self._words = np.zeros((len(keys), copies, 4), np.uint64)
        seed_words = _int_words(seed)
        by_width: dict[int, list[int]] = {}
        for position, key in enumerate(keys):
            by_width.setdefault(len(_int_words(key)), []).append(position)
        for copy in range(copies):
            copy_words = _int_words(copy)
            for width, positions in by_width.items():
                entropy = np.zeros((len(positions), len(seed_words) + width + len(copy_words)), np.uint32)
                entropy[:, : len(seed_words)] = seed_words
                chosen = np.array([keys[p] for p in positions], dtype=np.uint64)
                for word in range(width):
                    entropy[:, len(seed_words) + word] = (chosen >> np.uint64(32 * word)) & np.uint64(_MASK32)
                entropy[:, len(seed_words) + width :] = copy_words
                self._words[positions, copy] = _seed_words(entropy)
        self._bit_generator = np.random.PCG64(0)
        self._generator = np.random.Generator(self._bit_generator)

    def __call__(self, source: int, copy: int) -> np.random.Generator:
        """The generator of the ``source``-th key's ``copy``, as ``item_rng`` makes it."""
        s0, s1, i0, i1 = (int(word) for word in self._words[source, copy])
        increment = ((((i0 << 64) | i1) << 1) | 1) & _MASK128
        state = (((((s0 << 64) | s1) + increment) * _PCG_MULTIPLIER) + increment) & _MASK128
        self._bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": increment},
            "has_uint32": 0,
            "uinteger": 0,
        }
        return self._generator


def content_key(content_hash: str) -> int:
    """A source's content hash as the integer that seeds its generators."""
    return int(content_hash[:16], 16)


def config_hash(method: str, params: dict[str, Any]) -> str:
    """SHA-256 of everything that decides a method's output besides the seed."""
    config = {"method": method, "library": LIBRARY, "library_version": LIBRARY_VERSION, "params": params}
    return hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# -- text ----------------------------------------------------------------------------
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    position = {ch: (r, c) for r, row in enumerate(KEYBOARD_ROWS) for c, ch in enumerate(row)}
    neighbours = {}
    for ch, (r, c) in position.items():
        near = [
            other
            for other, (r2, c2) in position.items()
            if other != ch and abs(r2 - r) <= 1 and abs((c2 + 0.5 * r2) - (c + 0.5 * r)) <= 1
        ]
        neighbours[ch] = "".join(sorted(near))
    return neighbours


NEIGHBOURS = _keyboard_neighbours()
INSERT_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def _chosen(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Indices 0..n-1, each kept with probability ``rate``; one uniform draw per index, always."""
    return np.flatnonzero(rng.random(n) < rate) if n else np.zeros(0, dtype=int)


KELVIN_SIGN = 0x212A
_ASCII_LETTER = np.zeros(128, bool)
_ASCII_LETTER[[ord(c) for c in string.ascii_letters]] = True


def typo_letters(text: str) -> np.ndarray:
    """Positions of every character whose lower case is a key of NEIGHBOURS: ASCII letters and the
    Kelvin sign (it lowers to "k"); a test holds this equal to that rule over all of Unicode."""
    if text.isascii():
        return np.flatnonzero(_ASCII_LETTER[np.frombuffer(text.encode("ascii"), np.uint8)])
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    folded = codes | np.uint32(0x20)  # A-Z onto a-z; nothing else lands there
    return np.flatnonzero(((folded >= ord("a")) & (folded <= ord("z"))) | (codes == KELVIN_SIGN))


def _integers(rng: np.random.Generator, highs: list[int]) -> list[int]:
    """``[int(rng.integers(high)) for high in highs]``: the same values, leaving the generator as they would.

    For a bound below 2**32 numpy takes one 32-bit draw (none for a bound of 1) and keeps it by
    Lemire's rule, drawing again only when the product's low half falls under ``2**32 % high`` (about
    once in a billion for these bounds). The first draws are taken here in one call; a refused one
    takes the next, and draws past those come one at a time, as numpy's would.
    """
    draws = rng.integers(0, 2**32, size=sum(high > 1 for high in highs), dtype=np.uint32).tolist()
    values = []
    taken = 0
    for high in highs:
        if high == 1:
            values.append(0)
            continue
        threshold = (2**32 - high) % high
        while True:
            draw = draws[taken] if taken < len(draws) else int(rng.integers(0, 2**32, dtype=np.uint32))
            taken += 1
            product = draw * high
            if product & _MASK32 >= threshold:
                break
        values.append(product >> 32)
    return values


def keyboard_typos(text: str, params: dict[str, Any], rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    letters = typo_letters(text)
    positions = letters[_chosen(rng, len(letters), params["rate"])].tolist()
    originals = [text[position] for position in positions]
    options = [NEIGHBOURS[original.lower()] for original in originals]
    chars = list(text)
    changes = []
    for position, original, choices, pick in zip(
        positions, originals, options, _integers(rng, [len(o) for o in options]), strict=True
    ):
        typed = choices[pick]
        chars[position] = typed.upper() if original.isupper() else typed
        changes.append([position, chars[position]])
    return "".join(chars), {"replaced": changes}


def _words(text: str) -> list[str]:
    return text.split()


def word_dropout(text: str, params: dict[str, Any], rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    words = _words(text)
    dropped = [int(i) for i in _chosen(rng, len(words), params["rate"])]
    if len(dropped) == len(words):  # keep one word: an empty item is not an item
        dropped = dropped[1:]
    gone = set(dropped)
    return " ".join(w for i, w in enumerate(words) if i not in gone), {"dropped_words": dropped}


def word_swap(text: str, params: dict[str, Any], rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    words = _words(text)
    swaps = []
    if len(words) >= 2:
        for _ in range(int(params["swaps"])):
            i = int(rng.integers(len(words) - 1))
            words[i], words[i + 1] = words[i + 1], words[i]
            swaps.append([i, i + 1])
    return " ".join(words), {"swapped_words": swaps}


def random_deletion(text: str, params: dict[str, Any], rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    deleted = [int(i) for i in _chosen(rng, len(text), params["rate"])]
    if len(deleted) == len(text):
        deleted = deleted[1:]
    gone = set(deleted)
    return "".join(ch for i, ch in enumerate(text) if i not in gone), {"deleted_chars": deleted}


def random_insertion(text: str, params: dict[str, Any], rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    """Inserts a random letter after each chosen position (positions in the original text)."""
    inserted = []
    out = []
    chosen = set(int(i) for i in _chosen(rng, len(text), params["rate"]))
    for i, ch in enumerate(text):
        out.append(ch)
        if i in chosen:
            letter = INSERT_ALPHABET[int(rng.integers(len(INSERT_ALPHABET)))]
            out.append(letter)
            inserted.append([i, letter])
    return "".join(out), {"inserted_after": inserted}


def case_noise(text: str, params: dict[str, Any], rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    # Only characters whose case change keeps one character ('ß' -> 'SS' would move offsets).
    letters = [i for i, ch in enumerate(text) if ch.isalpha() and len(ch.swapcase()) == 1 and ch.swapcase() != ch]
    chars = list(text)
    flipped = [letters[int(i)] for i in _chosen(rng, len(letters), params["rate"])]
    for position in flipped:
        chars[position] = chars[position].swapcase()
    return "".join(chars), {"flipped_case": flipped}


def whitespace_noise(text: str, params: dict[str, Any], rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    """Doubles or removes chosen spaces (a removed space joins two words)."""
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    chosen = _chosen(rng, len(spaces), params["rate"])
    doubled = rng.random(len(chosen)) < 0.5
    changes = {spaces[int(i)]: bool(d) for i, d in zip(chosen, doubled, strict=True)}
    out = []
    for i, ch in enumerate(text):
        if i in changes:
            out.append("  " if changes[i] else "")
        else:
            out.append(ch)
    result = "".join(out)
    if not result.strip():
        return text, {"doubled_spaces": [], "removed_spaces": []}
    return result, {
        "doubled_spaces": [i for i, d in changes.items() if d],
        "removed_spaces": [i for i, d in changes.items() if not d],
    }


# -- images --------------------------------------------------------------------------
def _uniform(rng: np.random.Generator, low: float, high: float) -> float:
    # Rounded so the stored value is the one used, exactly, after a JSON round trip.
    return round(float(rng.uniform(low, high)), 6)


def flip(image: Image.Image, params: dict[str, Any], rng: np.random.Generator) -> tuple[Image.Image, dict[str, Any]]:
    horizontal = bool(rng.random() < params["horizontal_p"])
    vertical = bool(rng.random() < params["vertical_p"])
    if horizontal:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if vertical:
        image = image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return image, {"horizontal": horizontal, "vertical": vertical}


def rotate(image: Image.Image, params: dict[str, Any], rng: np.random.Generator) -> tuple[Image.Image, dict[str, Any]]:
    degrees = _uniform(rng, -params["max_degrees"], params["max_degrees"])
    return image.rotate(degrees, resample=Image.Resampling.BILINEAR), {"degrees": degrees}


def crop(image: Image.Image, params: dict[str, Any], rng: np.random.Generator) -> tuple[Image.Image, dict[str, Any]]:
    scale = _uniform(rng, params["min_scale"], 1.0)
    width, height = max(1, math.floor(image.width * scale)), max(1, math.floor(image.height * scale))
    left = int(rng.integers(image.width - width + 1))
    top = int(rng.integers(image.height - height + 1))
    box = (left, top, left + width, top + height)
    return image.crop(box), {"scale": scale, "box": list(box)}


def color_jitter(
    image: Image.Image, params: dict[str, Any], rng: np.random.Generator
) -> tuple[Image.Image, dict[str, Any]]:
    factors = {
        name: _uniform(rng, 1 - params[name], 1 + params[name]) for name in ("brightness", "contrast", "saturation")
    }
    rgb = image.convert("RGB")
    rgb = ImageEnhance.Brightness(rgb).enhance(factors["brightness"])
    rgb = ImageEnhance.Contrast(rgb).enhance(factors["contrast"])
    rgb = ImageEnhance.Color(rgb).enhance(factors["saturation"])
    return rgb, factors


def blur(image: Image.Image, params: dict[str, Any], rng: np.random.Generator) -> tuple[Image.Image, dict[str, Any]]:
    radius = _uniform(rng, 0.0, params["max_radius"])
    return image.filter(ImageFilter.GaussianBlur(radius)), {"radius": radius}


def _rate(default: float, what: str) -> Param:
    return Param("rate", default, 0.0, 1.0, f"probability that each {what} is changed")


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            "keyboard_typos",
            TEXT,
            "letters replaced by a QWERTY neighbour",
            (_rate(0.05, "letter"),),
            keyboard_typos,
            span_safe=True,
        ),
        Method("word_dropout", TEXT, "words dropped", (_rate(0.1, "word"),), word_dropout),
        Method(
            "word_swap",
            TEXT,
            "neighbouring words swapped",
            (Param("swaps", 1, 1, 20, "how many swaps", integer=True),),
            word_swap,
        ),
        Method("random_deletion", TEXT, "characters deleted", (_rate(0.05, "character"),), random_deletion),
        Method("random_insertion", TEXT, "random letters inserted", (_rate(0.05, "character"),), random_insertion),
        Method("case_noise", TEXT, "letter case flipped", (_rate(0.1, "letter"),), case_noise, span_safe=True),
        Method("whitespace_noise", TEXT, "spaces doubled or removed", (_rate(0.1, "space"),), whitespace_noise),
        Method(
            "flip",
            IMAGE,
            "mirrored left-right and/or top-bottom",
            (
                Param("horizontal_p", 0.5, 0.0, 1.0, "probability of a left-right flip"),
                Param("vertical_p", 0.0, 0.0, 1.0, "probability of a top-bottom flip"),
            ),
            flip,
        ),
        Method(
            "rotate",
            IMAGE,
            "rotated by a uniform angle",
            (Param("max_degrees", 15, 0, 180, "largest rotation either way"),),
            rotate,
        ),
        Method(
            "crop",
            IMAGE,
            "a random crop",
            (Param("min_scale", 0.8, 0.1, 1.0, "smallest side of the crop, as a share of the image's"),),
            crop,
        ),
        Method(
            "color_jitter",
            IMAGE,
            "brightness, contrast and saturation changed",
            (
                Param("brightness", 0.2, 0.0, 1.0, "largest change of brightness, as a share"),
                Param("contrast", 0.2, 0.0, 1.0, "largest change of contrast, as a share"),
                Param("saturation", 0.2, 0.0, 1.0, "largest change of saturation, as a share"),
            ),
            color_jitter,
        ),
        Method(
            "blur",
            IMAGE,
            "Gaussian blur of a uniform radius",
            (Param("max_radius", 2.0, 0.0, 20.0, "largest blur radius in pixels"),),
            blur,
        ),
    )
}


def methods_for(kind: str, *, spans: bool = False) -> list[Method]:
    """The methods for a content kind; for span labels only those that keep offsets."""
    return [m for m in METHODS.values() if m.kind == kind and (m.span_safe or not spans)]


def method_get(name: str, kind: str, *, spans: bool = False) -> Method:
    method = METHODS.get(name)
    if method is None or method.kind != kind:
        known = ", ".join(m.name for m in methods_for(kind, spans=spans))
        raise AugmentError(f"unknown method {name!r} for {kind} items; known: {known}")
    if spans and not method.span_safe:
        raise AugmentError(f"{name!r} moves character offsets, so it would break labeled spans")
    return method


def params_resolve(method: Method, given: dict[str, Any] | None) -> dict[str, Any]:
    """``given`` checked against the method's parameters, the defaults filled in."""
    given = dict(given or {})
    known = {p.name: p for p in method.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise AugmentError(f"{method.name} has no parameter {', '.join(map(repr, unknown))}")
    resolved = {}
    for name, param in known.items():
        value = given.get(name, param.default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise AugmentError(f"{name} must be a number")
        if param.integer and value != int(value):
            raise AugmentError(f"{name} must be a whole number")
        if not param.low <= value <= param.high:
            raise AugmentError(f"{name} must be between {param.low} and {param.high}")
        resolved[name] = int(value) if param.integer else float(value)
    return resolved


def augment_text(method: Method, text: str, params: dict[str, Any], rng: np.random.Generator) -> tuple[str, dict]:
    """The augmented text and every value used: the parameters plus what was drawn."""
    result, drawn = method.apply(text, params, rng)
    return result, {**params, **drawn}


def augment_image(method: Method, raw: bytes, params: dict[str, Any], rng: np.random.Generator) -> tuple[bytes, dict]:
    """The augmented image as PNG bytes and every value used; PNG so nothing more is lost."""
    with Image.open(io.BytesIO(raw)) as opened:
        image = opened.convert("RGBA" if opened.mode in ("RGBA", "LA", "P") else "RGB")
    result, drawn = method.apply(image, params, rng)
    out = io.BytesIO()
    result.save(out, format="PNG", optimize=False)
    return out.getvalue(), {**params, **drawn}
