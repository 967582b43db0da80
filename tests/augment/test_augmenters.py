"""The pure augmenters: same seed, same bytes; stored values are the ones used; spans keep their offsets."""

import io

import numpy as np
import pytest
from PIL import Image

from quality.augment.augmenters import (
    METHODS,
    NEIGHBOURS,
    AugmentError,
    ItemGenerators,
    _integers,
    augment_image,
    augment_text,
    item_rng,
    keyboard_typos,
    method_get,
    methods_for,
    params_resolve,
    typo_letters,
)

TEXT = "The quick brown fox jumps over the lazy dog near the river bank"


@pytest.mark.parametrize("name", [m.name for m in methods_for("text")])
def test_text_methods_are_reproducible_from_the_seed(name):
    method = METHODS[name]
    params = params_resolve(method, {"rate": 0.3} if "rate" in {p.name for p in method.params} else {"swaps": 3})
    first = augment_text(method, TEXT, params, item_rng(7, 42, 0))
    again = augment_text(method, TEXT, params, item_rng(7, 42, 0))
    other = augment_text(method, TEXT, params, item_rng(8, 42, 0))
    assert first == again
    assert first[0] != other[0] or first[1] != other[1]
    assert first[0].strip()


def test_span_safe_methods_keep_every_offset():
    for method in methods_for("text", spans=True):
        out, _ = augment_text(method, TEXT, params_resolve(method, {"rate": 0.5}), item_rng(1, 1, 0))
        assert len(out) == len(TEXT)
        assert [i for i, ch in enumerate(out) if ch == " "] == [i for i, ch in enumerate(TEXT) if ch == " "]
    assert {m.name for m in methods_for("text", spans=True)} == {"keyboard_typos", "case_noise"}
    with pytest.raises(AugmentError, match="offsets"):
        method_get("word_dropout", "text", spans=True)


def test_sampled_values_are_stored():
    method = METHODS["keyboard_typos"]
    out, used = augment_text(method, "aaaa", {"rate": 1.0}, item_rng(3, 1, 0))
    assert used["rate"] == 1.0 and len(used["replaced"]) == 4
    assert "".join(ch for _, ch in used["replaced"]) == out


def test_params_are_checked():
    method = METHODS["word_dropout"]
    assert params_resolve(method, None) == {"rate": 0.1}
    for bad in ({"rate": 2}, {"rate": "x"}, {"nope": 1}, {"rate": float("nan")}):
        with pytest.raises(AugmentError):
            params_resolve(method, bad)
    with pytest.raises(AugmentError, match="unknown method"):
        method_get("blur", "text")


def _png(width=32, height=24) -> bytes:
    pixels = np.arange(width * height * 3, dtype=np.uint8).reshape(height, width, 3)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("name", [m.name for m in methods_for("image")])
def test_image_methods_give_byte_identical_pngs(name):
    method = METHODS[name]
    params = params_resolve(method, {"horizontal_p": 1.0} if name == "flip" else None)
    first, used = augment_image(method, _png(), params, item_rng(5, 9, 1))
    again, used_again = augment_image(method, _png(), params, item_rng(5, 9, 1))
    assert first == again and used == used_again
    assert Image.open(io.BytesIO(first)).format == "PNG"
    assert first != _png() or name == "blur"


def test_typo_letters_are_every_character_that_lowers_to_a_keyboard_letter():
    every = "".join(map(chr, range(0x110000)))
    expected = [i for i, ch in enumerate(every) if ch.lower() in NEIGHBOURS]
    assert typo_letters(every).tolist() == expected
    ascii_only = "".join(map(chr, range(128))) * 2
    assert typo_letters(ascii_only).tolist() == [i for i, ch in enumerate(ascii_only) if ch.lower() in NEIGHBOURS]


KEYS = [0, 1, 2**32 - 1, 2**32, 2**64 - 1, 12345678901234567890, 7]


@pytest.mark.parametrize("seed", [0, 7, 2**32 - 1, 2**32 + 5, 2**63 - 1])
def test_generators_seeded_in_bulk_are_item_rngs(seed):
    generators = ItemGenerators(seed, KEYS, 3)
    for position, key in enumerate(KEYS):
        for copy in range(3):
            ours, theirs = generators(position, copy), item_rng(seed, key, copy)
            assert ours.bit_generator.state == theirs.bit_generator.state
            assert ours.random(5).tolist() == theirs.random(5).tolist()


def typos_one_draw_at_a_time(text: str, rate: float, rng: np.random.Generator) -> tuple[str, list]:
    """Keyboard typos as first written: a letter search by rule, one ``rng.integers`` per typo."""
    letters = [i for i, ch in enumerate(text) if ch.lower() in NEIGHBOURS]
    chosen = np.flatnonzero(rng.random(len(letters)) < rate) if letters else []
    chars, changes = list(text), []
    for index in chosen:
        position = letters[int(index)]
        original = chars[position]
        options = NEIGHBOURS[original.lower()]
        typed = options[int(rng.integers(len(options)))]
        chars[position] = typed.upper() if original.isupper() else typed
        changes.append([position, chars[position]])
    return "".join(chars), changes


@pytest.mark.parametrize("rate", [0.05, 0.5, 1.0])
def test_keyboard_typos_give_what_one_draw_at_a_time_gives(rate):
    """Same seeds, same items as before the draws were batched: stored augmentations can be made again."""
    texts = [TEXT, TEXT.upper(), "Kelvin \u212a, Straße, ÉTÉ \ud800 done", "", "1234 !!", "a" * 500]
    for seed in range(40):
        for number, text in enumerate(texts):
            ours_rng, reference_rng = item_rng(seed, number, 0), item_rng(seed, number, 0)
            made, drawn = keyboard_typos(text, {"rate": rate}, ours_rng)
            assert (made, drawn["replaced"]) == typos_one_draw_at_a_time(text, rate, reference_rng)
            assert ours_rng.bit_generator.state == reference_rng.bit_generator.state


def test_integers_drawn_at_once_follow_numpys_refusals():
    """Bounds near 2**32 make numpy refuse a draw often; a bound of 1 takes none."""
    for seed in range(200):
        highs = [int(h) for h in np.random.default_rng(seed + 1000).integers(1, 3_000_000_000, 6)] + [1, 5, 2]
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        assert _integers(ours, highs) == [int(theirs.integers(high)) for high in highs]
        assert ours.bit_generator.state == theirs.bit_generator.state
