"""The pure augmenters: same seed, same bytes; stored values are the ones used; spans keep their offsets."""

import io

import numpy as np
import pytest
from PIL import Image

from quality.augment.augmenters import (
    METHODS,
    AugmentError,
    augment_image,
    augment_text,
    item_rng,
    method_get,
    methods_for,
    params_resolve,
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
    from quality.augment.augmenters import NEIGHBOURS, TYPO_LETTERS

    every = "".join(map(chr, range(0x110000)))
    assert [m.start() for m in TYPO_LETTERS.finditer(every)] == [
        i for i, ch in enumerate(every) if ch.lower() in NEIGHBOURS
    ]
