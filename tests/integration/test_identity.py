"""Identity stitching and erasure through the ingest path on moto."""

from __future__ import annotations

import itertools
from typing import Any

from functions.ingest.handler import sqs_handler
from functions.shared.profile_service import ProfileWriter
from functions.shared.profile_store import DynamoDBProfileStore, alias_key, customer_key
from infra.local.stack import LocalStack
from optimizer.events import Profile, parse_event
from tests.integration.conftest import body, event, item, profile


def _deliver(stack: LocalStack, documents: list[dict[str, Any]]) -> list[str]:
    stack.send_to_queue([body(d) for d in documents])
    sqs_event = stack.receive_sqs_event()
    with stack.function("IngestQueueFunction") as context:
        response = sqs_handler(sqs_event, context)
    stack.settle_sqs(sqs_event, response)
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


def _batches(customer: str, alias: str) -> list[list[dict[str, Any]]]:
    before = [
        event("purchase", f"{alias}-p1", day=2, alias_id=alias, amount="12.00"),
        event("click", f"{alias}-k1", day=3, alias_id=alias),
        event("consent", f"{alias}-g1", day=3, alias_id=alias, granted=False),
    ]
    link = [
        event(
            "identify",
            f"{alias}-i",
            day=5,
            customer_id=customer,
            alias_id=alias,
            traits={"region": "west"},
        ),
        event("purchase", f"{alias}-p0", day=1, customer_id=customer, amount="30.00"),
    ]
    after = [event("purchase", f"{alias}-p2", day=9, alias_id=alias, amount="8.00")]
    return [before, link, after]


def test_alias_events_merge_into_the_customer_in_any_order(stack: LocalStack) -> None:
    for n, order in enumerate(itertools.permutations(range(3))):
        customer, alias = f"cust-{n}", f"cookie-{n}"
        batches = _batches(customer, alias)
        for index in order:
            assert _deliver(stack, batches[index]) == []
        expected = Profile(owner=customer_key(customer))
        for document in itertools.chain(*batches):
            expected.apply(parse_event(document))
        stored, _ = profile(stack, customer)
        assert stored == expected, f"batch order {order}"
        assert stored.spend_stats().revenue == 50.0
        assert stored.consent_by_channel() == {"email": False}
        assert stored.segment()["region"] == "west"
        link = item(stack, alias_key(alias))
        assert link is not None and link["linked_to"]["S"] == customer
        assert "state" not in link


def test_alias_events_and_their_identify_in_one_batch(stack: LocalStack) -> None:
    batches = _batches("cust-x", "cookie-x")
    assert _deliver(stack, batches[2] + batches[1] + batches[0]) == []
    stored, version = profile(stack, "cust-x")
    assert (stored.spend_stats().revenue, version) == (50.0, 1)


def test_an_alias_cannot_be_taken_by_a_second_customer(stack: LocalStack) -> None:
    assert _deliver(stack, [event("identify", "i1", customer_id="a", alias_id="dev-1")]) == []
    failed = _deliver(stack, [event("identify", "i2", customer_id="b", alias_id="dev-1")])
    assert len(failed) == 1
    link = item(stack, alias_key("dev-1"))
    assert link is not None and link["linked_to"]["S"] == "a"


def test_forget_erases_profile_aliases_and_derived_items(stack: LocalStack) -> None:
    stack.dynamodb.create_table(
        TableName="scores",
        KeySchema=[{"AttributeName": "customer_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "customer_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    stack.dynamodb.put_item(
        TableName="scores", Item={"customer_id": {"S": "c-1"}, "clv": {"N": "9"}}
    )
    store = DynamoDBProfileStore(stack.dynamodb, stack.table_name(), {"scores": "customer_id"})
    writer = ProfileWriter(store)
    history = [
        event("purchase", "p1", day=1),
        event("identify", "i1", day=2, alias_id="phone-1"),
        event("consent", "g1", day=2),
    ]
    assert not writer.apply([(str(i), parse_event(d)) for i, d in enumerate(history)]).failed
    assert not writer.apply([("f", parse_event(event("forget", "f1", day=3)))]).failed

    forgotten, version = profile(stack, "c-1")
    tombstone = item(stack, customer_key("c-1"))
    assert tombstone is not None and tombstone["forgotten"] == {"BOOL": True}
    assert forgotten.forgotten and not forgotten.orders and not forgotten.aliases
    assert item(stack, alias_key("phone-1")) is None
    assert "Item" not in stack.dynamodb.get_item(
        TableName="scores", Key={"customer_id": {"S": "c-1"}}
    )
    replay = writer.apply([(str(i), parse_event(d)) for i, d in enumerate(history)])
    assert not replay.failed and replay.profile_writes == 0
    assert profile(stack, "c-1") == (forgotten, version)
