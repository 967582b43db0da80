"""The settings page binds a form to the API's service: the same rules, the errors on the page."""

from django.test import Client

from projects.models import Project
from tests.explorer.conftest import Explored


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def posted(project: Project, **changes) -> dict:
    labels = changes.pop("labels", project.labels)
    data = {
        "name": project.name,
        "label_scale": project.label_scale,
        "overlap": str(project.overlap),
        "guidelines": project.guidelines,
        "label_name": [label["name"] for label in labels],
        "label_hotkey": [label["hotkey"] for label in labels],
        "label_color": [label["color"] for label in labels],
    }
    data.update(changes)
    return data


def url(project: Project) -> str:
    return f"/projects/{project.pk}/settings/"


def test_managers_only(explored: Explored, outsider):
    project = explored.project
    assert page_client(project.created_by).get(url(project)).status_code == 200
    reviewer_user = project.memberships.get(user__username="reviewer").user
    assert page_client(reviewer_user).get(url(project)).status_code == 403
    assert page_client(outsider).get(url(project)).status_code == 404


def test_saves_order_hotkeys_colours_overlap_and_guidelines(explored: Explored):
    project = explored.project
    reordered = [
        {"name": "neutral", "hotkey": "n", "color": "#123456"},
        *[label for label in project.labels if label["name"] != "neutral"],
    ]
    response = page_client(project.created_by).post(
        url(project), posted(project, labels=reordered, overlap="4", guidelines="# New\n<script>x</script>")
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.label_names == ["neutral", "positive", "negative"]
    assert project.labels[0] == {"name": "neutral", "hotkey": "n", "color": "#123456"}
    assert project.overlap == 4
    page = page_client(project.created_by).get(url(project)).content.decode()
    assert "<h1>New</h1>" in page and "<script>x</script>" not in page


def test_a_label_in_use_is_refused_with_what_holds_it(explored: Explored):
    project = explored.project
    before = list(project.labels)
    kept = [label for label in project.labels if label["name"] != "negative"]
    response = page_client(project.created_by).post(url(project), posted(project, labels=kept, overlap="5"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Labels in use cannot be removed: &#x27;negative&#x27; (3)" in body
    project.refresh_from_db()
    assert project.labels == before and project.overlap == 3  # nothing stored


def test_the_api_rules_hold_on_the_page(explored: Explored):
    project = explored.project
    client = page_client(project.created_by)
    labels = [dict(label, hotkey="s") if index == 0 else label for index, label in enumerate(project.labels)]
    assert "reserved by the labeling page" in client.post(url(project), posted(project, labels=labels)).content.decode()
    assert (
        "Overlap must be a whole number from 1 to 50"
        in client.post(url(project), posted(project, overlap="0")).content.decode()
    )


def test_moving_a_row_saves_nothing(explored: Explored):
    project = explored.project
    response = page_client(project.created_by).post(url(project), posted(project, move="down:0"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index('data-label="negative"') < body.index('data-label="positive"')
    project.refresh_from_db()
    assert project.label_names[0] == "positive"
