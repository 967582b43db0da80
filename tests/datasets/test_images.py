"""Uploaded images for image items: checked by Pillow, stored once, shown only to members."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from datasets.models import Batch, Item, ItemImage
from quality.pipeline import services as quality_services
from tests.factories import ProjectFactory, UserFactory, add_member


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 6), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def image_project(manager):
    return ProjectFactory(user=manager, name="Photos", task_type="image", labels=["cat", "dog"])


def upload(client, project, *files: tuple[str, bytes]):
    payload = {"file": [SimpleUploadedFile(name, content) for name, content in files]}
    return client.post(f"/api/projects/{project.pk}/images/", payload, format="multipart")


def test_upload_stores_an_image_once_and_serves_it_to_members(api_client, client, image_project, manager):
    content = image_bytes()
    response = upload(api_client(manager), image_project, ("cat 1.png", content))
    assert response.status_code == 201
    [body] = response.json()
    assert (body["original_name"], body["content_type"], body["width"], body["height"]) == (
        "cat 1.png",
        "image/png",
        8,
        6,
    )
    assert body["url"] == f"/projects/{image_project.pk}/images/{body['sha256']}.png"

    again = upload(api_client(manager), image_project, ("copy.png", content))
    assert again.status_code == 200 and again.json()[0]["sha256"] == body["sha256"]
    assert ItemImage.objects.filter(project=image_project).count() == 1

    client.force_login(manager)
    served = client.get(body["url"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == content
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("page.png", b"<html><script>alert(1)</script></html>", "not a readable image"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "not a readable image"),
        ("cut.png", image_bytes()[:40], "not a readable image"),
        ("scan.tiff", image_bytes("TIFF"), "TIFF images are not supported"),
    ],
)
def test_a_file_that_is_not_a_browser_image_is_refused_and_nothing_is_kept(
    api_client, image_project, manager, name, content, reason
):
    response = upload(api_client(manager), image_project, ("good.png", image_bytes()), (name, content))
    assert response.status_code == 400
    assert name in response.json()["detail"] and reason in response.json()["detail"]
    assert not ItemImage.objects.exists()


def test_limits_answer_clearly(api_client, image_project, manager, settings):
    settings.GROUNDWORK_MAX_IMAGE_PIXELS = 100
    response = upload(api_client(manager), image_project, ("big.png", image_bytes(size=(20, 20))))
    assert response.status_code == 400 and "limit is 100 pixels" in response.json()["detail"]
    settings.GROUNDWORK_MAX_IMAGE_BYTES = 50
    response = upload(api_client(manager), image_project, ("big.png", image_bytes(size=(20, 20))))
    assert response.status_code == 413
    assert upload(api_client(manager), image_project).status_code == 400


def test_roles_and_other_projects(api_client, client, image_project, manager, outsider, project):
    annotator = UserFactory(username="looker")
    add_member(image_project, annotator, "annotator")
    assert upload(api_client(annotator), image_project, ("a.png", image_bytes())).status_code == 403
    assert upload(api_client(outsider), image_project, ("a.png", image_bytes())).status_code == 404
    assert upload(api_client(manager), project, ("a.png", image_bytes())).status_code == 400  # a text project

    url = upload(api_client(manager), image_project, ("a.png", image_bytes())).json()[0]["url"]
    client.force_login(annotator)
    assert client.get(url).status_code == 200
    assert api_client(annotator).get(f"/api/projects/{image_project.pk}/images/").json()["count"] == 1
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    # The same address under a project the outsider belongs to finds nothing either.
    elsewhere = outsider.memberships.first().project
    assert client.get(url.replace(f"/projects/{image_project.pk}/", f"/projects/{elsewhere.pk}/")).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_images_dropped_on_the_project_page_become_a_batch_of_items(client, image_project, manager):
    client.force_login(manager)
    files = [
        SimpleUploadedFile("cat.png", image_bytes(color="red")),
        SimpleUploadedFile("dog.jpg", image_bytes("JPEG")),
    ]
    response = client.post(f"/projects/{image_project.pk}/batches/", {"file": files})
    assert response.status_code == 302
    batch = Batch.objects.get(project=image_project)
    quality_services.batch_import(batch_id=str(batch.pk))
    batch.refresh_from_db()
    assert batch.status == "accepted"
    images = {image.original_name: image.url for image in ItemImage.objects.filter(project=image_project)}
    items = {item.external_id: item.data["image"] for item in Item.objects.filter(project=image_project)}
    assert items == images and set(items) == {"cat.png", "dog.jpg"}
