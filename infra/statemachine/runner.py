"""Runs the real allocation-run state machine locally: moto's ASL interpreter, our handlers.

moto executes Amazon States Language (Distributed Map with an S3 item reader, retries,
catches) with `execute_state_machine` on, but it cannot run Lambda code without Docker.
So the Lambda Invoke calls the interpreter makes are answered in-process: a botocore
`before-call` hook on the default boto3 session imports the function's handler (named by
`template.yaml`) and calls it with the payload, returning what Lambda would (a handler's
exception becomes a `FunctionError` whose `errorType` the state machine's Retry/Catch
match, as on AWS). Everything else the handlers do (S3, DynamoDB, EventBridge) goes to moto.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders

from infra.local.stack import LambdaContext, LocalStack

ACCOUNT = "123456789012"
DEFINITION_PATH = Path(__file__).resolve().parent / "allocation_run.asl.json"

Handler = Callable[[dict[str, Any], Any], Any]


def function_arn(name: str, region: str = "us-east-1") -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"


def import_handler(dotted: str) -> Handler:
    """`package.module.function` (a template `Handler`) -> the callable."""
    module, _, name = dotted.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module), name)
    return handler


class InProcessLambdas:
    """Answers `lambda:Invoke` from the default boto3 session by calling handlers in-process."""

    def __init__(self, handlers: Mapping[str, str], region: str = "us-east-1") -> None:
        self.handlers = dict(handlers)
        self.region = region
        self.invocations: list[tuple[str, dict[str, Any]]] = []

    def install(self) -> None:
        """Hook the default session; clients created afterwards (the interpreter's) use it."""
        boto3.setup_default_session(region_name=self.region)
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register(
            "before-call.lambda.Invoke",
            self._invoke,  # type: ignore[arg-type]  # botocore types hooks as returning None
        )

    def _invoke(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        path = urllib.parse.unquote(params["url_path"])
        name = path.split("/functions/", 1)[1].split("/", 1)[0].split(":")[-1]
        payload = json.loads(params.get("body") or b"{}")
        self.invocations.append((name, payload))
        http = AWSResponse(path, 200, HTTPHeaders(), None)
        try:
            handler = import_handler(self.handlers[name])
            result = handler(
                payload, LambdaContext(function_name=name, aws_request_id=str(uuid.uuid4()))
            )
        except Exception as error:  # the Lambda runtime reports any exception the same way
            body = {"errorType": type(error).__name__, "errorMessage": str(error)}
            return http, {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": _stream(body)}
        return http, {"StatusCode": 200, "Payload": _stream(result)}


def _stream(value: Any) -> io.BytesIO:
    return io.BytesIO(json.dumps(value).encode())


def from_template(
    template: Mapping[str, Any], logical: str = "AllocationRunStateMachine"
) -> tuple[dict[str, str], dict[str, str]]:
    """(substitutions, handlers) of the template's state machine.

    Each `Name: !GetAtt Function.Arn` substitution becomes `Name -> Function`, and each such
    function's `Handler` is what the in-process Lambda answers with: the local run uses the
    same wiring as the deployed one.
    """
    resources = template["Resources"]
    properties = resources[logical]["Properties"]
    substitutions: dict[str, str] = {}
    handlers: dict[str, str] = {}
    for name, value in properties.get("DefinitionSubstitutions", {}).items():
        function = value["Fn::GetAtt"][0] if isinstance(value, dict) else str(value)
        substitutions[name] = function
        handlers[function] = resources[function]["Properties"]["Handler"]
    return substitutions, handlers


def local_definition(substitutions: Mapping[str, str], region: str = "us-east-1") -> str:
    """The ASL with `${Name}` substitutions filled with local function ARNs or values.

    `substitutions` maps each name to a function's logical id (as `!GetAtt Id.Arn` in the
    template) or to a literal; a name left unfilled is an error, not a silent `${...}`.
    """
    text = DEFINITION_PATH.read_text()
    for name, value in substitutions.items():
        filled = function_arn(value, region) if not value.startswith("arn:") else value
        text = text.replace("${" + name + "}", filled)
    if "${" in text:
        start = text.index("${")
        raise ValueError(f"definition substitution left unfilled: {text[start : start + 40]}")
    return text


@dataclass
class Execution:
    status: str
    output: Any
    error: str | None
    cause: str | None
    arn: str


def run_state_machine(
    definition: str, run_input: dict[str, Any], name: str, timeout: float = 600.0
) -> Execution:
    """Creates (or reuses) the state machine in moto and runs one execution to its end."""
    sfn = boto3.client("stepfunctions")
    machines = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    arn = (
        machines.get("percapita-allocation-run")
        or sfn.create_state_machine(
            name="percapita-allocation-run",
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/percapita-allocation-run",
        )["stateMachineArn"]
    )
    execution_arn = sfn.start_execution(
        stateMachineArn=arn, name=name, input=json.dumps(run_input)
    )["executionArn"]
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {name} still running after {timeout:.0f} s")
        time.sleep(0.05)
    output = json.loads(described["output"]) if described.get("output") else None
    return Execution(
        status=described["status"],
        output=output,
        error=described.get("error"),
        cause=described.get("cause"),
        arn=execution_arn,
    )


def run_allocation(
    stack: LocalStack, run_input: dict[str, Any], name: str, timeout: float = 600.0
) -> tuple[Execution, InProcessLambdas]:
    """One allocation run on the local stack, wired exactly as template.yaml wires it.

    The functions' environments (from the template) are set for the whole execution, not
    per invocation: the interpreter runs map iterations on threads, and they share them.
    """
    substitutions, handlers = from_template(stack.template)
    lambdas = InProcessLambdas(handlers)
    lambdas.install()
    saved = dict(os.environ)
    for function in handlers:
        os.environ.update(stack.function_environment(function))
    try:
        execution = run_state_machine(local_definition(substitutions), run_input, name, timeout)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return execution, lambdas
