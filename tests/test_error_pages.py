"""Error answers: pages in the site's frame, API paths in the API's JSON shape."""

from django.test import Client


def test_a_page_your_role_may_not_open_says_so_inside_the_site(project, annotator):
    client = Client()
    client.force_login(annotator)
    response = client.get(f"/projects/{project.pk}/review/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your role does not allow this page" in page
    assert "Signed in as" in page and f"<strong>{annotator.username}</strong>" in page  # the site's frame


def test_unknown_paths_answer_404_as_a_page_or_as_json(client):
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "Nothing here" in page.content.decode()
    api = client.get("/api/no-such-thing/")
    assert api.status_code == 404 and api["Content-Type"] == "application/json"
    assert api.json() == {"detail": "Not found."}
