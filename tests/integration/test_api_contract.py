"""schemathesis against the native stack through nginx: every operation of the description that
the stack serves, with schemathesis's default checks (tests/support/contract.py)."""

from support import contract


def test_the_api_keeps_its_description_through_nginx(stack, request, record_property):
    code, output, summary = contract.run(f"http://localhost:{stack.port}/api/openapi.json")
    # tests/docker runs this test too, against the compose stack: the suite names the stack.
    record_property("summary", f"schemathesis ({request.path.parent.name}): {summary}")
    assert code == 0, output
