"""The project pages' forms through Django's client: what is typed comes back, the services' words are shown."""

from django.test import Client

from projects.models import Membership, Project
from tests.factories import UserFactory

FORM = {"name": "Reviews", "task_type": "classification", "label_scale": "nominal", "overlap": "2", "guidelines": ""}


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_add_label_brings_the_form_back_with_one_more_row_and_creates_nothing(manager):
    data = {**FORM, "label_name": ["good", "bad"], "label_hotkey": ["g", ""], "label_color": ["#112233", "#445566"]}
    page = page_client(manager).post("/projects/new/", {**data, "add_label": "1"}).content.decode()
    assert page.count('name="label_name"') == 3 and 'value="good"' in page and 'value="#112233"' in page
    assert 'value="Reviews"' in page and not Project.objects.filter(name="Reviews").exists()


def test_the_create_form_says_what_is_wrong_and_keeps_what_was_typed(manager):
    client = page_client(manager)
    page = client.post("/projects/new/", {**FORM, "overlap": "two", "label_name": ["good"]}).content.decode()
    assert "Overlap must be a whole number." in page and 'value="Reviews"' in page
    page = client.post("/projects/new/", {**FORM, "label_name": ["", ""]}).content.decode()
    assert "Give the project at least one label." in page
    page = client.post("/projects/new/", {**FORM, "overlap": "99", "label_name": ["good"]}).content.decode()
    assert "Overlap must be a whole number from 1 to 50" in page  # the service's rule, in its words
    assert not Project.objects.filter(name="Reviews").exists()
    response = client.post("/projects/new/", {**FORM, "label_name": ["good", "bad"], "label_hotkey": ["g", "b"]})
    project = Project.objects.get(name="Reviews")
    assert response.status_code == 302 and project.overlap == 2 and project.label_names == ["good", "bad"]


def test_adding_a_member_shows_the_services_message(project, manager):
    client = page_client(manager)
    page = client.post(f"/projects/{project.pk}/members/", {"username": "ghost", "role": "annotator"}, follow=True)
    assert "there is no user" in page.content.decode()
    page = client.post(f"/projects/{project.pk}/members/", {"username": "", "role": "annotator"}, follow=True)
    assert "Give the member&#x27;s username." in page.content.decode()
    UserFactory(username="ann")
    page = client.post(f"/projects/{project.pk}/members/", {"username": " ann ", "role": "reviewer"}, follow=True)
    assert "ann is now reviewer." in page.content.decode()
    assert Membership.objects.get(project=project, user__username="ann").role == "reviewer"
