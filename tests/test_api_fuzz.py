"""Every operation of the OpenAPI schema, fed generated valid and invalid input on a live server: never a 5xx."""

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from datasets.models import Item
from tests.projects.helpers import csv_bytes, import_file

EXAMPLES_PER_OPERATION = 8


@pytest.mark.django_db(transaction=True)
def test_generated_requests_never_get_a_server_error(live_server, project, manager, annotator):
    batch = import_file(project, manager, "seed.csv", csv_bytes("first", "second", "third"))
    known = {
        "project_id": project.pk,
        "number": 1,
        "batch_id": str(batch.pk),
        "item_id": Item.objects.filter(project=project).values_list("pk", flat=True).first(),
        "username": annotator.username,
        "annotation_uuid": str(uuid.uuid4()),
    }
    headers = {"Authorization": f"Token {Token.objects.create(user=manager).key}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    server_errors: list[str] = []
    operations = 0
    calls = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        names = {p.name for p in operation.path_parameters}
        path_parameters = {name: value for name, value in known.items() if name in names}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def call(case) -> None:
                nonlocal calls
                calls += 1
                response = case.call(base_url=live_server.url, headers=headers)
                if response.status_code >= 500:
                    server_errors.append(f"{response.status_code} {case.as_curl_command()}")

            try:
                call()
            except Unsatisfiable:  # nothing left to make invalid once the path is fixed (a bare GET)
                assert mode == GenerationMode.NEGATIVE

    assert operations >= 11
    assert calls >= operations * EXAMPLES_PER_OPERATION // 2
    assert server_errors == []
