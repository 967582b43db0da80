"""The model's suggestion on the labeling page: preselected and accepted with Enter alone, held
out for the items the hash picks (and only those), or shown as a hint that chooses nothing."""

import pytest
from playwright.sync_api import expect

from labeling.models import Annotation, Prediction, PredictionSet
from labeling.services import project_settings_update
from labeling.suggestions.values import withheld
from tests.e2e_labeling.conftest import texts
from tests.e2e_labeling.helpers import label_button, open_labeling, wait_for_another_item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LABELS = [{"name": "positive", "hotkey": "1"}, {"name": "negative", "hotkey": "2"}, {"name": "neutral", "hotkey": "3"}]
NAMES = [label["name"] for label in LABELS]
HOLDOUT = 0.3


def _with_model(project, manager, **settings):
    prediction_set = PredictionSet.objects.create(
        project=project, model_name="bert-v2", labels=NAMES, created_by=manager
    )
    rows = []
    for item in project.items.all():
        p = [0.1, 0.1, 0.1]
        p[item.pk % 3] = 0.8
        rows.append(Prediction(prediction_set=prediction_set, item=item, probabilities=p))
    Prediction.objects.bulk_create(rows)
    return project_settings_update(project=project, **settings)


def _enter_when_not_a_double_press(page):
    page.wait_for_function("window.gwLabeling.sinceSubmitMs() > 300")
    page.keyboard.press("Enter")


def test_a_preselected_suggestion_is_accepted_with_enter_and_the_holdout_is_honoured(
    page, make_project, manager, annotator_user, shot
):
    project = make_project("classification", LABELS, texts(*(f"review number {n}" for n in range(16))))
    project = _with_model(project, manager, suggestions="preselect", suggestion_holdout=HOLDOUT)
    expected_withheld = {
        item.pk
        for item in project.items.all()
        if withheld(item_id=item.pk, annotator_id=annotator_user.pk, share=HOLDOUT)
    }
    assert 0 < len(expected_withheld) < 16  # the hash picks some, not all: both paths are seen below
    item = open_labeling(page, project)
    seen_withheld = set()
    while item is not None:
        suggested = NAMES[item.pk % 3]
        if item.pk in expected_withheld:
            seen_withheld.add(item.pk)
            expect(page.locator("#lp-suggestion")).to_be_hidden()
            expect(page.locator(".lp-suggested-mark")).to_have_count(0)
            for name in NAMES:
                expect(label_button(page, name)).to_have_attribute("aria-pressed", "false")
            page.keyboard.press("3")
            _enter_when_not_a_double_press(page)
        else:
            expect(page.locator("#lp-suggestion")).to_contain_text(f"Model bert-v2 suggests {suggested} (80%)")
            expect(label_button(page, suggested)).to_have_attribute("aria-pressed", "true")
            expect(label_button(page, suggested).locator(".lp-suggested-mark")).to_have_count(1)
            if not seen_withheld:
                shot(page, "suggestion-preselected")
            _enter_when_not_a_double_press(page)  # nothing pressed but Enter: the suggestion is the label
        following = wait_for_another_item(page, item)
        stored = Annotation.objects.get(item=item, annotator=annotator_user)
        assert stored.suggestion_value == suggested
        assert stored.suggestion_shown is (item.pk not in expected_withheld)
        assert stored.value == ("neutral" if item.pk in expected_withheld else suggested)
        item = following
    assert seen_withheld == expected_withheld
    assert Annotation.objects.filter(project=project, suggestion_shown=False).count() == len(expected_withheld)


def test_a_hint_marks_the_label_and_chooses_nothing(page, make_project, manager, annotator_user, shot):
    project = make_project("classification", LABELS, texts("first review", "second review"))
    project = _with_model(project, manager, suggestions="hint", suggestion_holdout=0)
    item = open_labeling(page, project)
    suggested = NAMES[item.pk % 3]
    expect(page.locator("#lp-suggestion")).to_contain_text("a hint")
    expect(label_button(page, suggested).locator(".lp-suggested-mark")).to_have_count(1)
    for name in NAMES:
        expect(label_button(page, name)).to_have_attribute("aria-pressed", "false")
    shot(page, "suggestion-hint")
    page.keyboard.press("Enter")
    expect(page.locator("#lp-status")).to_contain_text("Choose a label first")
    other = next(label for label in LABELS if label["name"] != suggested)
    page.keyboard.press(other["hotkey"])
    page.keyboard.press("Enter")
    wait_for_another_item(page, item)
    stored = Annotation.objects.get(item=item, annotator=annotator_user)
    assert (stored.value, stored.suggestion_value, stored.suggestion_shown) == (other["name"], suggested, True)
