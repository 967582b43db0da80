"""Creating and changing projects and their members through the API: validation first, nothing stored on a 400."""

import pytest

from projects.models import Membership, Project
from tests.factories import UserFactory

VALID = {
    "name": "Toxicity",
    "task_type": "classification",
    "labels": ["ok", {"name": "toxic", "hotkey": "t", "color": "#AA0000"}],
    "label_scale": "nominal",
    "overlap": 3,
    "guidelines": "Mark **insults** as toxic.",
}


def test_create_a_project_makes_the_creator_its_manager(api_client, manager):
    response = api_client(manager).post("/api/projects/", VALID, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Toxicity"
    assert body["role"] == "manager"
    assert (body["item_count"], body["latest_version"], body["overlap"]) == (0, None, 3)
    assert body["labels"] == [
        {"name": "ok", "hotkey": "1", "color": "#1f77b4"},
        {"name": "toxic", "hotkey": "t", "color": "#aa0000"},
    ]
    project = Project.objects.get(pk=body["id"])
    assert list(project.memberships.values_list("user__username", "role")) == [("manager", "manager")]
    assert project.created_by == manager


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"task_type": "sentiment"}, "task_type", '"sentiment" is not a valid choice.'),
        ({"label_scale": "ratio"}, "label_scale", '"ratio" is not a valid choice.'),
        ({"overlap": 0}, "overlap", "Ensure this value is greater than or equal to 1."),
        ({"overlap": 51}, "overlap", "Ensure this value is less than or equal to 50."),
        ({"overlap": "two"}, "overlap", "A valid integer is required."),
        ({"name": ""}, "name", "This field may not be blank."),
        ({"name": "x" * 201}, "name", "Ensure this field has no more than 200 characters."),
    ],
)
def test_field_errors_name_the_field(api_client, manager, change, field, message):
    response = api_client(manager).post("/api/projects/", {**VALID, **change}, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("labels", "label_scale", "detail"),
    [
        ("positive,negative", "nominal", "labels must be a non-empty list"),
        ({"name": "positive"}, "nominal", "labels must be a non-empty list"),
        ([], "nominal", "labels must be a non-empty list"),
        ([42], "nominal", "label 1: must be a string or an object with a name"),
        (["a", " "], "nominal", "label 2: name must be a non-empty string"),
        (["yes", " yes "], "nominal", "label names must be unique"),
        ([{"name": "a", "hotkey": "x"}, {"name": "b", "hotkey": "X"}], "nominal", "hotkeys must be unique"),
        ([{"name": "a", "hotkey": "s"}], "nominal", "label 'a': hotkey 's' is reserved by the labeling page"),
        ([{"name": "a", "hotkey": "?"}], "nominal", "label 'a': hotkey '?' is reserved by the labeling page"),
        ([{"name": "a", "hotkey": "ab"}], "nominal", "label 'a': hotkey must be a single character"),
        ([{"name": "a", "color": "red"}], "nominal", "label 'a': color must look like #1a2b3c"),
        ([{"name": "a", "color": "#12345"}], "nominal", "label 'a': color must look like #1a2b3c"),
        ([{"name": "a", "color": "#123456;x"}], "nominal", "label 'a': color must look like #1a2b3c"),
        ([{"name": "a", "shortcut": "x"}], "nominal", "label 1: unknown field(s) shortcut"),
        (["1", "2", "three"], "interval", "an interval scale needs numeric labels; 'three' is not a number"),
    ],
)
def test_bad_label_schemas_answer_400_with_a_detail(api_client, manager, labels, label_scale, detail):
    response = api_client(manager).post(
        "/api/projects/", {**VALID, "labels": labels, "label_scale": label_scale}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert not Project.objects.exists()


def test_an_interval_scale_with_numeric_labels_is_accepted(api_client, manager):
    labels = ["1", "2.5", "-3"]
    response = api_client(manager).post(
        "/api/projects/", {**VALID, "labels": labels, "label_scale": "interval"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert [label["name"] for label in response.json()["labels"]] == labels


def test_a_body_that_is_not_json_answers_400(api_client, manager):
    response = api_client(manager).generic("POST", "/api/projects/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_patch_changes_only_the_given_fields(api_client, project, manager):
    response = api_client(manager).patch(f"/api/projects/{project.pk}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200, response.content
    project.refresh_from_db()
    assert (project.name, project.overlap, project.label_names) == ("Renamed", 2, ["positive", "negative", "neutral"])
    assert project.guidelines == "Label the **sentiment**."


def test_patch_validates_like_create_and_stores_nothing_on_error(api_client, project, manager):
    client = api_client(manager)
    response = client.patch(f"/api/projects/{project.pk}/", {"labels": ["a", "a"], "name": "New"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "label names must be unique"}
    response = client.patch(f"/api/projects/{project.pk}/", {"overlap": 0}, format="json")
    assert response.status_code == 400
    assert "overlap" in response.json()
    project.refresh_from_db()
    assert (project.name, project.overlap, project.label_names) == ("Sentiment", 2, ["positive", "negative", "neutral"])


def test_the_task_type_is_fixed_once_the_project_holds_items(api_client, project, manager):
    from tests.projects.helpers import csv_bytes, import_file

    import_file(project, manager, "one.csv", csv_bytes("hello"))
    response = api_client(manager).patch(f"/api/projects/{project.pk}/", {"task_type": "multilabel"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "the task type cannot change once the project holds items"}
    project.refresh_from_db()
    assert project.task_type == "classification"


# -- members ------------------------------------------------------------------------------
def roles_of(project) -> dict[str, str]:
    return dict(Membership.objects.filter(project=project).values_list("user__username", "role"))


def test_members_are_added_changed_and_removed(api_client, project, manager):
    UserFactory(username="carol")
    client = api_client(manager)
    url = f"/api/projects/{project.pk}/members/"

    response = client.post(url, {"username": "carol", "role": "annotator"}, format="json")
    assert response.status_code == 201, response.content
    assert {k: response.json()[k] for k in ("username", "role")} == {"username": "carol", "role": "annotator"}
    assert roles_of(project) == {"manager": "manager", "carol": "annotator"}

    response = client.post(url, {"username": "carol", "role": "reviewer"}, format="json")
    assert response.status_code == 201
    assert roles_of(project) == {"manager": "manager", "carol": "reviewer"}
    assert [(m["username"], m["role"]) for m in client.get(url).json()] == [
        ("carol", "reviewer"),
        ("manager", "manager"),
    ]

    assert client.delete(f"{url}carol/").status_code == 204
    assert roles_of(project) == {"manager": "manager"}
    response = client.delete(f"{url}carol/")
    assert response.status_code == 404
    assert response.json() == {"detail": "'carol' is not a member"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"username": "nobody", "role": "annotator"}, {"detail": "there is no user 'nobody'"}),
        ({"username": "carol", "role": "owner"}, {"role": ['"owner" is not a valid choice.']}),
        ({"role": "annotator"}, {"username": ["This field is required."]}),
    ],
)
def test_bad_member_requests_answer_400(api_client, project, manager, body, expected):
    UserFactory(username="carol")
    response = api_client(manager).post(f"/api/projects/{project.pk}/members/", body, format="json")
    assert response.status_code == 400
    assert response.json() == expected
    assert roles_of(project) == {"manager": "manager"}


def test_the_last_manager_can_be_neither_demoted_nor_removed(api_client, project, manager):
    client = api_client(manager)
    url = f"/api/projects/{project.pk}/members/"
    response = client.post(url, {"username": "manager", "role": "annotator"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "a project needs at least one manager"}
    response = client.delete(f"{url}manager/")
    assert response.status_code == 400
    assert response.json() == {"detail": "a project needs at least one manager"}
    assert roles_of(project) == {"manager": "manager"}


def test_with_a_second_manager_the_first_may_step_down(api_client, project, manager):
    UserFactory(username="dana")
    client = api_client(manager)
    url = f"/api/projects/{project.pk}/members/"
    assert client.post(url, {"username": "dana", "role": "manager"}, format="json").status_code == 201
    assert client.post(url, {"username": "manager", "role": "reviewer"}, format="json").status_code == 201
    assert roles_of(project) == {"manager": "reviewer", "dana": "manager"}
    # Now a reviewer, the former manager may no longer change members.
    response = client.post(url, {"username": "manager", "role": "manager"}, format="json")
    assert response.status_code == 403
