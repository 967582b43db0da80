"""Every operation of the OpenAPI schema, fed generated valid and invalid input on a live server: never a
5xx, and every answer's status code, content type and body are the ones the schema documents."""

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.tokens import token_issue
from datasets.models import Item
from labeling.services import annotation_submit
from tests.projects.helpers import csv_bytes, import_file

EXAMPLES_PER_OPERATION = 4
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
# The whole run stays bounded on a busy 2-core machine.

# "METHOD /path" -> why its answers may still differ from the schema.
KNOWN_MISMATCHES: dict[str, str] = {}


@pytest.mark.fuzz
@pytest.mark.django_db(transaction=True)
def test_generated_requests_get_the_answers_the_schema_documents(live_server, project, manager, annotator):
    batch = import_file(project, manager, "seed.csv", csv_bytes("first", "second", "third"))
    first, second = Item.objects.filter(project=project).order_by("pk")[:2]
    # An annotation on an item of its own, so its operations answer 200 too; the item's operations
    # keep one nobody labelled, so a generated submit can be accepted.
    annotation, _ = annotation_submit(
        item=second, user=manager, request_uuid=uuid.uuid4(), value=project.label_names[0]
    )
    known = {
        "project_id": project.pk,
        "number": 1,
        "batch_id": str(batch.pk),
        "item_id": first.pk,
        "username": annotator.username,
        "annotation_uuid": str(annotation.uuid),
    }
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    mismatches: dict[str, list[str]] = {}
    operations = 0
    calls = 0
    successes = 0

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
                nonlocal calls, successes
                calls += 1
                # Every fourth call as an annotator, for the 403s and the answers shaped by the role. The
                # token is fetched again for every call: the token operations among the others rotate and revoke it.
                caller = annotator if calls % 4 == 0 else manager
                headers = {"Authorization": f"Token {token_issue(user=caller).key}"}
                response = case.call(base_url=live_server.url, headers=headers)
                successes += response.status_code < 300
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as group:
                    found = mismatches.setdefault(f"{case.operation.method.upper()} {case.operation.path}", [])
                    for failure in group.exceptions:
                        found.append(f"{response.status_code} {failure.title}: {failure.message[:300]}")
                    found.append(case.as_curl_command())

            try:
                call()
            except Unsatisfiable:  # nothing left to make invalid once the path is fixed (a bare GET)
                assert mode == GenerationMode.NEGATIVE

    assert operations >= 40
    assert calls >= operations * EXAMPLES_PER_OPERATION // 2
    # Answers other than errors were checked too (a lost token once made nearly every answer a 401).
    assert successes >= operations // 2, f"only {successes} of {calls} answers were successes"
    unexpected = {label: found for label, found in mismatches.items() if label not in KNOWN_MISMATCHES}
    report = "\n\n".join(f"{label}\n  " + "\n  ".join(dict.fromkeys(found)) for label, found in unexpected.items())
    assert not unexpected, f"{len(unexpected)} operations disagree with the schema:\n\n{report}"
