"""A realistic little sentiment dataset for the demo: product reviews with slices."""

import random

PRODUCTS = {
    "headphones": ["sound", "battery life", "noise cancelling", "ear cushions", "bluetooth pairing"],
    "coffee maker": ["brew temperature", "carafe", "timer", "cleaning", "taste"],
    "running shoes": ["grip", "cushioning", "fit", "laces", "durability"],
    "laptop": ["keyboard", "screen", "fan noise", "battery", "trackpad"],
    "blender": ["motor", "lid", "jar", "ice crushing", "noise"],
}
POSITIVE = [
    "The {aspect} is excellent and the {product} feels well made.",
    "Really happy with the {aspect}; best {product} I have owned.",
    "Great {aspect}, arrived early, would buy this {product} again.",
    "I was sceptical but the {aspect} exceeded my expectations.",
    "Five stars for the {aspect}. My partner wants a {product} too.",
]
NEGATIVE = [
    "The {aspect} stopped working after two weeks. Returning the {product}.",
    "Disappointed: the {aspect} is far worse than advertised.",
    "Terrible {aspect}, and support never answered my emails.",
    "Do not buy this {product}; the {aspect} broke on day one.",
    "The {aspect} is flimsy and the {product} smells of plastic.",
]
NEUTRAL = [
    "The {product} arrived on Tuesday in a plain box.",
    "It is a {product}. The {aspect} does what the manual says.",
    "Bought the {product} as a gift, have not tried the {aspect} yet.",
    "The {aspect} is about average for a {product} at this price.",
]
MIXED = [
    "Love the {aspect}, but the {product} is heavier than I hoped.",
    "The {aspect} is great, shipping was slow and the box was damaged.",
    "Good {product} overall, though the {aspect} could be better.",
]
TONES = {
    "positive": (POSITIVE, (4, 5)),
    "negative": (NEGATIVE, (1, 2)),
    "neutral": (NEUTRAL, (3, 3)),
    "mixed": (MIXED, (2, 4)),
}
CLOSINGS = [" Thanks!", " Would recommend.", " Just my two cents.", " Update to follow.", " Delivery was fine."]
CHANNELS = ["web", "app", "email survey"]
GUIDELINES = """# Product review sentiment

Label the overall feeling of the **customer** towards the product.

| label | when |
| --- | --- |
| positive | praise, recommendation, repurchase intent |
| negative | complaint, return, warning others |
| neutral | facts only, no opinion |
| mixed | clear praise *and* clear complaint |

Ignore the star rating in the metadata: label the text alone.
"""


def demo_tone(text: str) -> str:
    """The tone a demo review was written in: the truth its simulated annotators aim at."""
    for tone, (templates, _) in TONES.items():
        for template in templates:
            if text.startswith(template.split("{", 1)[0]) and _matches(template, text):
                return tone
    raise ValueError(f"not a demo review: {text[:40]!r}")


def _matches(template: str, text: str) -> bool:
    pieces = [piece.split("}", 1)[-1] for piece in template.split("{")]
    position = 0
    for piece in pieces:
        found = text.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def demo_reviews(count: int, *, seed: int, start_id: int = 1) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for offset in range(count):
        product = rng.choice(list(PRODUCTS))
        aspect = rng.choice(PRODUCTS[product])
        tone = rng.choices(list(TONES), weights=[45, 30, 15, 10])[0]
        templates, (low, high) = TONES[tone]
        text = rng.choice(templates).format(product=product, aspect=aspect)
        details = [
            f" Used it daily for {rng.randint(2, 30)} weeks.",
            f" Paid {rng.randint(19, 399)} dollars.",
            f" Bought it for my {rng.choice(['mum', 'dad', 'office', 'flat', 'sister', 'team'])}.",
            f" Second {product} from this brand.",
        ]
        text += rng.choice(details)
        if rng.random() < 0.4:
            text += rng.choice(CLOSINGS)
        rows.append(
            {
                "id": f"r{start_id + offset:05d}",
                "text": text,
                "product": product,
                "channel": rng.choice(CHANNELS),
                "rating": rng.randint(low, high),
            }
        )
    return rows


# The demo project's suite: what its data owner expects of every batch.
DEMO_SUITE = {
    "name": "product-reviews",
    "expectations": [
        {"type": "expect_column_to_exist", "kwargs": {"column": "rating"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "rating"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "rating", "min_value": 1, "max_value": 5}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "channel", "value_set": CHANNELS}},
        {
            "type": "expect_column_value_lengths_to_be_between",
            "kwargs": {"column": "text", "min_value": 10, "max_value": 2000},
            "severity": "warning",
        },
    ],
}


def demo_bad_batch(seed: int, *, start_id: int) -> list[dict[str, object]]:
    """A batch an upstream export broke: ratings on a 1-10 scale and a new channel name in some rows."""
    rows = demo_reviews(60, seed=seed, start_id=start_id)
    for offset in (4, 17, 31, 45):
        rows[offset]["rating"] = int(rows[offset]["rating"]) * 2
    for offset in (9, 22):
        rows[offset]["channel"] = "WEB"
    rows[50]["text"] = "ok"
    return rows
